import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { openBackend } from "../../compose/open-backend";
import type { Backend } from "../../engine/port/backend";
import { classify } from "../../engine/classify";
import { observe } from "../../engine/observe";
import { parseSignatureKeyFile } from "../../model/signature-key-file";
import type { GlobalOptions } from "../argv";
import { cliConfig } from "../config";
import type { CommandContext } from "../context";
import type { Report } from "../report";
import { count } from "../../format/words";

/**
 * tke doctor — a read-only check of a real TKE CLI setup, item by item, before any change: the executable, the plug-in
 * and its version, the login and target, the person's TKE files, the instance's units and registers, and whether the
 * signature keys there are installed administrators. It selects units only in its own private workspace; it sends no
 * master key command.
 */
export interface DoctorOptions extends GlobalOptions {
  readonly instance: string;
}

export type Verdict = "ok" | "warn" | "fail";

export interface DoctorItem {
  readonly item: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface DoctorReport extends Report {
  readonly instanceId: string;
  readonly items: readonly DoctorItem[];
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes("/")) return existsSync(command) ? command : undefined;
  return (env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, command))
    .find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** The SKIs of the `N.sigkey` files in a TKE files directory (their public part only; nothing is decrypted). */
function sigkeySkis(dir: string): { file: string; ski: string }[] {
  return readdirSync(dir)
    .filter((name) => /^\d+\.sigkey$/.test(name))
    .flatMap((name) => {
      try {
        return [{ file: name, ski: parseSignatureKeyFile(readFileSync(join(dir, name), "utf8"), name).ski.toLowerCase() }];
      } catch {
        return [];
      }
    });
}

export async function tkeDoctor(opts: DoctorOptions, ctx: CommandContext): Promise<DoctorReport> {
  const config = { ...cliConfig(opts, ctx), backend: "tke-cli" as const };
  const items: DoctorItem[] = [];
  const add = (item: string, verdict: Verdict, detail: string) => items.push({ item, verdict, detail });
  const report = (): DoctorReport => ({ command: "tke doctor", outcome: items.some((i) => i.verdict === "fail") ? "failed" : "ok", instanceId: opts.instance, items });

  const executable = onPath(config.ibmcloudPath, ctx.env);
  if (!executable) {
    add("ibmcloud executable", "fail", `${config.ibmcloudPath} was not found${isAbsolute(config.ibmcloudPath) ? "" : " on PATH"}: install the IBM Cloud CLI, or set HPCS_IBMCLOUD (hpcs:ibmcloudPath)`);
    return report();
  }
  add("ibmcloud executable", "ok", executable);
  for (const [name, value, hint] of [
    ["API key", config.apiKey, "set IBMCLOUD_API_KEY (hpcs:apiKey)"],
    ["region", config.region, "set HPCS_REGION (hpcs:region)"],
    ["resource group", config.resourceGroup, "set HPCS_RESOURCE_GROUP (hpcs:resourceGroup)"],
  ] as const) {
    add(name, value ? "ok" : "fail", value ? (name === "API key" ? "set (never shown)" : value) : hint);
  }
  if (items.some((i) => i.verdict === "fail")) return report();

  let backend: Backend;
  try {
    backend = await openBackend(config, opts.instance);
  } catch (error) {
    add("plug-in, login and target", "fail", (error as Error).message);
    return report();
  }
  try {
    add("plug-in, login and target", "ok", backend.description);
    const observation = await observe(backend);
    const phase = classify(observation);
    add("crypto units", "ok", `${observation.units.length} units of ${opts.instance} listed and selected in the driver's own workspace (${observation.units.map((u) => `${u.type} ${u.location}`).join(", ")})`);
    add("registers", phase.name === "Diverged" ? "warn" : "ok", `read and parsed: phase ${phase.name}${phase.reasons.length ? `: ${phase.reasons.map((r) => r.message).join("; ")}` : ""}`);
    const admins = new Set(observation.units.flatMap((u) => u.admins.map((a) => a.ski)));
    const dir = config.tkeFilesDir;
    if (!dir || !existsSync(dir)) {
      add("TKE files (CLOUDTKEFILES)", "warn", dir ? `${dir} does not exist` : "not set: the signature key files are not checked against the installed administrators");
    } else {
      const keys = sigkeySkis(dir);
      const installed = keys.filter((k) => observation.units.every((u) => u.admins.some((a) => a.ski === k.ski)));
      const threshold = Math.max(0, ...observation.units.map((u) => u.thresholds.signature));
      add("TKE files (CLOUDTKEFILES)", "ok", `${dir}: ${count(keys.length, "signature key file")}`);
      add(
        "signature keys",
        installed.length >= threshold ? "ok" : "fail",
        `${installed.length} of them (${installed.map((k) => k.file).join(", ") || "none"}) are administrators installed in every unit; the signature threshold is ${threshold}; ${admins.size} administrator(s) are installed`,
      );
    }
  } catch (error) {
    add("crypto units", "fail", (error as Error).message);
  } finally {
    await backend.close?.();
  }
  return report();
}
