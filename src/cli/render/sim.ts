import type { ArmedFault } from "../../backends/simulator";
import { sameVp, shortVp, type Vp } from "../../model/vp";
import type { SimFaultReport, SimIbmcloudReport, SimShowReport, SimTkeApiReport, SimVerifyReport } from "../commands/sim";
import type { SimInitReport } from "../commands/sim-init";
import { rewrapLine } from "./status";
import type { Style } from "./style";
import { list, renderTable } from "./table";
import { configurationLines, registerTable, unitTable } from "./units";
import { count } from "../../format/words";

export function renderSimInit(report: SimInitReport, style: Style): string {
  const key =
    report.currentVp === null
      ? "CURRENT MASTER KEY: none (current registers Empty): the first rotate loads one"
      : `CURRENT MASTER KEY: ${report.currentVp} (${report.masterKey === "random" ? "a random key, as auto-init makes" : "from the initial key parts"})`;
  return [
    style.ok("OK"),
    `The simulated service instance was created in ${report.simDir}.`,
    `SERVICE INSTANCE: ${style.bold(report.instanceId)}`,
    ...unitTable(report.units),
    "Note: all crypto units in a service instance must be configured the same; rotate selects them all.",
    "",
    key,
    `KEY STORAGE: ${count(report.records, "record")}`,
    `SIGNATURE THRESHOLDS: signature ${report.thresholds.signature}, revocation ${report.thresholds.revocation}`,
    ...(report.administrators.length
      ? renderTable(["ADMIN NAME", "SIGNATURE KEY FILE"], report.administrators.map((a) => [a.name, a.signatureKeyFile]))
      : ["No administrators (imprint mode)."]),
    "",
    `Next: hpcs-mk status --instance ${report.instanceId}`,
  ].join("\n");
}

export function describeFault(fault: ArmedFault, unitNum: (id: string) => string): string {
  if (fault.kind === "crashMidRewrap") return `crash during rewrap after ${count(fault.afterRecords, "record")}`;
  if (fault.kind === "crashInRotate") return `crash in rotate after the marker and ${count(fault.promoted, "promotion")}`;
  if (fault.kind === "lostMarker") return "the rotate marker line is lost";
  const when = "when" in fault ? ` ${fault.when}` : "";
  const unit = fault.unit ? ` on unit ${unitNum(fault.unit)}` : "";
  return `${fault.kind}${when} ${fault.command ?? "any command"}${unit}`;
}

function faultTable(faults: readonly ArmedFault[], unitNum: (id: string) => string): string[] {
  if (faults.length === 0) return ["No faults are armed."];
  return renderTable(
    ["ID", "FAULT", "SKIP", "TIMES", "SEEN", "FIRED"],
    faults.map((f) => [f.id.slice(0, 8), describeFault(f, unitNum), String(f.skip), String(f.times), String(f.seen), String(f.fired)]),
  );
}

/** The current key every unit holds, when they all agree. */
function commonCurrentVp(units: SimShowReport["units"]): Vp | null {
  const first = units[0]?.current;
  return first?.status === "Valid" && units.every((u) => u.current.status === "Valid" && sameVp(u.current.vp, first.vp)) ? first.vp : null;
}

export function renderSimShow(report: SimShowReport, style: Style): string {
  const unitNum = (id: string) => String(report.units.find((u) => u.id === id)?.num ?? id);
  return [
    `SIMULATED SERVICE INSTANCE: ${style.bold(report.instanceId)}  (${report.simDir})`,
    ...unitTable(report.units, [{ header: "TRANSACTION COUNTER", cell: (u) => String(u.transactionCounter) }]),
    "",
    "MASTER KEY REGISTERS",
    ...registerTable(report.units),
    "",
    ...configurationLines(report.units),
    "",
    `${rewrapLine(report.rewrap, commonCurrentVp(report.units))} (${count(report.keyStorage.chunks, "chunk file")})`,
    "ARMED FAULTS:",
    ...faultTable(report.faults, unitNum).map((l) => `  ${l}`),
    `LEASE: ${report.lease ? `held by ${report.lease.owner} until ${report.lease.expiresAt}` : "free"}`,
  ].join("\n");
}

export function renderSimFault(report: SimFaultReport, style: Style): string {
  const unitNum = (id: string) => String(report.units.find((u) => u.id === id)?.num ?? id);
  switch (report.action) {
    case "listed":
      return faultTable(report.faults, unitNum).join("\n");
    case "cleared":
      return [style.ok("OK"), `${count(report.cleared ?? 0, "fault")} cleared in ${report.instanceId}.`].join("\n");
    case "armed":
      return [style.ok("OK"), `Fault armed in ${report.instanceId}: every process using the instance meets it.`, ...faultTable(report.faults, unitNum)].join("\n");
  }
}

export function renderSimVerify(report: SimVerifyReport, style: Style): string {
  const table = renderTable(
    ["VERIFICATION PATTERN", "RECORDS", "CURRENT ON UNITS", "NEW ON UNITS"],
    report.byVp.map((b) => [shortVp(b.vp), String(b.records), list(b.current), list(b.new)]),
  );
  if (report.outcome === "ok") {
    return [style.ok("OK"), `${report.records === 1 ? "The 1 key storage record" : `All ${report.records} key storage records`} of ${report.instanceId} ${report.records === 1 ? "decrypts" : "decrypt"} with a master key the crypto units hold.`, ...table].join("\n");
  }
  return [style.bad("FAILED"), `Key storage of ${report.instanceId} has unreadable records:`, ...report.problems.map((p) => `  - ${p}`), ...table].join("\n");
}

export function renderSimIbmcloud(report: SimIbmcloudReport, style: Style): string {
  return [
    style.ok("OK"),
    `An emulated IBM Cloud CLI with the tke plug-in over ${report.simDir}:`,
    `  executable     ${report.executable}`,
    `  IBMCLOUD_HOME  ${report.home} (the tke plug-in is installed there)`,
    "",
    "To run hpcs-mk and pulumi against it through the TKE CLI backend, set:",
    ...Object.entries(report.environment).map(([name, value]) => `  export ${name}=${value}`),
    "  export IBMCLOUD_API_KEY=…   # any key of 20 or more letters, digits, '-' or '_'",
    "Or run it yourself, as IBM's runbook does: IBMCLOUD_HOME=… CLOUDTKEFILES=… <executable> login --apikey @FILE -r us-south -g default",
  ].join("\n");
}

export function renderSimTkeApi(report: SimTkeApiReport, style: Style): string {
  const served = Object.entries(report.requests).map(([route, n]) => `${n} ${route}`).join(", ");
  return [style.ok("OK"), `The TKE API emulator on ${report.url} stopped (${served || "no requests"}).`].join("\n");
}
