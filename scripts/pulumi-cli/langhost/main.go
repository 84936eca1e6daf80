// Command pulumi-language-nodejs is a minimal Node.js language host for the
// Pulumi CLI, written for this project.
//
// Why it exists: the upstream language host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which
// is not obtainable from the Go module proxy reachable here. This host
// implements just enough of the LanguageRuntime gRPC protocol for
// `pulumi preview/up/refresh/destroy` of a plain Node.js or TypeScript
// program: it starts `node <@pulumi/pulumi>/cmd/run ...` the way the engine
// expects and reports the result. It does not report required resource
// plugins (providers are then loaded on first use), does not install
// dependencies (`pulumi install`), and does not generate code.
//
// Runtime options honoured from Pulumi.yaml (runtime.options):
//
//	typescript (bool, default true), tsconfig (string), nodeargs (string).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// Exit code used by @pulumi/pulumi/cmd/run when it has already reported the
// error to the user.
const exitCodeAlreadyReported = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string

	mu       sync.Mutex
	children map[*exec.Cmd]struct{}
}

func main() {
	// The engine passes the engine address as the last positional argument;
	// it may prepend flags such as -v=9, --logtostderr or --tracing=URL.
	var engine string
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(version)
			return
		}
		if !strings.HasPrefix(a, "-") {
			engine = a
		}
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: listen: %v\n", err)
		os.Exit(1)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(400 * 1024 * 1024))
	h := &host{engineAddress: engine, children: map[*exec.Cmd]struct{}{}}
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	healthgrpc.RegisterHealthServer(srv, health.NewServer())

	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)

	if err := srv.Serve(lis); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: serve: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(context.Context, *pulumirpc.LanguageHandshakeRequest) (
	*pulumirpc.LanguageHandshakeResponse, error,
) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (
	*pulumirpc.GetProgramDependenciesResponse, error,
) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (
	*pulumirpc.RuntimeOptionsResponse, error,
) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, "node executable not found on PATH")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "node --version: %v", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.children {
		if c.Process != nil {
			_ = c.Process.Signal(syscall.SIGINT)
		}
	}
	return &emptypb.Empty{}, nil
}

// options reads the runtime options from Pulumi.yaml.
func options(info *pulumirpc.ProgramInfo) map[string]any {
	if info == nil || info.GetOptions() == nil {
		return map[string]any{}
	}
	return info.GetOptions().AsMap()
}

func boolOption(opts map[string]any, key string, def bool) bool {
	switch v := opts[key].(type) {
	case bool:
		return v
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

func stringOption(opts map[string]any, key string) string {
	if v, ok := opts[key].(string); ok {
		return v
	}
	return ""
}

// resolveRunScript finds @pulumi/pulumi/cmd/run as seen from the program
// directory, using Node's own module resolution.
func resolveRunScript(ctx context.Context, node, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e",
		"process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find @pulumi/pulumi from %s (did you run 'npm install'?): %v\n%s",
			dir, err, stderr.String())
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node executable not found on PATH"}, nil
	}

	info := req.GetInfo()
	opts := options(info)

	pwd := req.GetPwd()
	if pwd == "" && info != nil {
		pwd = info.GetProgramDirectory()
	}
	if pwd == "" {
		pwd, _ = os.Getwd()
	}
	program := req.GetProgram()
	if program == "" {
		program = "."
	}

	runScript, err := resolveRunScript(ctx, node, pwd)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	var args []string
	if nodeargs := stringOption(opts, "nodeargs"); nodeargs != "" {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runScript)
	if req.GetMonitorAddress() != "" {
		args = append(args, "--monitor="+req.GetMonitorAddress())
	}
	if h.engineAddress != "" {
		args = append(args, "--engine="+h.engineAddress)
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	if req.GetProject() != "" {
		args = append(args, "--project="+req.GetProject())
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetStack() != "" {
		args = append(args, "--stack="+req.GetStack())
	}
	args = append(args, "--pwd="+pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 1 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(configMap(req))
	if err != nil {
		return nil, status.Errorf(codes.Internal, "marshal config: %v", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "marshal secret keys: %v", err)
	}

	env := os.Environ()
	env = append(env,
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(boolOption(opts, "typescript", true)),
	)
	if ts := stringOption(opts, "tsconfig"); ts != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+ts)
	}

	cmd := exec.Command(node, args...)
	cmd.Dir = pwd
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("failed to start node: %v", err)}, nil
	}
	h.mu.Lock()
	h.children[cmd] = struct{}{}
	h.mu.Unlock()
	err = cmd.Wait()
	h.mu.Lock()
	delete(h.children, cmd)
	h.mu.Unlock()

	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == exitCodeAlreadyReported {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

// configMap returns the stack configuration as passed to the program. The
// engine may send structured values in config_property_map; plain string
// values in config are what @pulumi/pulumi reads from PULUMI_CONFIG.
func configMap(req *pulumirpc.RunRequest) map[string]string {
	out := map[string]string{}
	for k, v := range req.GetConfig() {
		out[k] = v
	}
	if len(out) == 0 && req.GetConfigPropertyMap() != nil {
		for k, v := range req.GetConfigPropertyMap().GetFields() {
			out[k] = valueString(v)
		}
	}
	return out
}

func valueString(v *structpb.Value) string {
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return s.StringValue
	}
	b, err := v.MarshalJSON()
	if err != nil {
		return ""
	}
	return string(b)
}
