import type { Backend, UnitStatus } from "../engine/port/backend";
import { classify } from "../engine/classify";
import type { Observation } from "../engine/observation";
import { observe } from "../engine/observe";
import type { Phase, UnitRole } from "../engine/phases";

/**
 * A unit as the CLI shows it: numbered like TKE's CRYPTO UNIT NUM, in the order `cryptounits` lists them
 * (operational, then recovery, then failover), with the role the phase gives it.
 */
export interface NumberedUnit extends UnitStatus {
  readonly num: number;
  readonly role: UnitRole;
}

export interface InstanceView {
  readonly observation: Observation;
  readonly phase: Phase;
  readonly units: readonly NumberedUnit[];
}

/** viewInstance — one observation of the instance, classified, with units numbered. Reads only. */
export async function viewInstance(backend: Backend): Promise<InstanceView> {
  const [refs, observation] = await Promise.all([backend.listUnits(), observe(backend)]);
  const phase = classify(observation);
  const order = new Map(refs.map((r, i) => [r.id, i]));
  const units = [...observation.units]
    .sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity))
    .map((u, i) => ({ ...u, num: i + 1, role: phase.roles[u.id] ?? "inconsistent" }));
  return { observation, phase, units };
}
