import type { Backend, UnitStatus } from "./port/backend";
import type { Observation } from "./observation";

type Settled = { readonly ok: true; readonly unit: UnitStatus } | { readonly ok: false; readonly error: unknown };

const settle = (query: Promise<UnitStatus>): Promise<Settled> =>
  query.then(
    (unit) => ({ ok: true, unit }),
    (error: unknown) => ({ ok: false, error }),
  );

/**
 * observe — one observation in the fewest dependent round trips. The unit list, the rewrap status and the queries
 * of the units we already know (`knownUnits`, from the previous observation or the stored outputs) go out together:
 * one round trip. Only units the listing adds are queried afterwards; a known unit the listing no longer has is
 * dropped. Every read starts after the caller's previous step returned, so it is as fresh as a list-then-query.
 * Units keep the listing's order (CRYPTO UNIT NUM, as `ibmcloud tke cryptounits` numbers them), so every message,
 * plan and refusal lists them as the operator's TKE CLI does.
 */
export async function observe(backend: Backend, knownUnits: readonly string[] = []): Promise<Observation> {
  const prefetched = new Map(knownUnits.map((id) => [id, settle(backend.queryUnit(id))]));
  const [refs, rewrap] = await Promise.all([backend.listUnits(), backend.rewrapStatus()]);
  const units = await Promise.all(
    refs.map(async (ref) => {
      const early = prefetched.get(ref.id);
      if (!early) return backend.queryUnit(ref.id);
      const result = await early;
      if (!result.ok) throw result.error;
      return result.unit;
    }),
  );
  return { units, rewrap };
}
