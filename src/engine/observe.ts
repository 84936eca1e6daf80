import type { Backend } from "../backends/backend";
import type { Observation } from "./observation";

/**
 * observe — one observation in the fewest dependent round trips: list the units, then query every unit and the
 * rewrap status in parallel (1 + n + 1 calls, 2 deep).
 */
export async function observe(backend: Backend): Promise<Observation> {
  const [refs, rewrap] = await Promise.all([backend.listUnits(), backend.rewrapStatus()]);
  const units = await Promise.all(refs.map((ref) => backend.queryUnit(ref.id)));
  return { units: [...units].sort((a, b) => a.id.localeCompare(b.id)), rewrap };
}
