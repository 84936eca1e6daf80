import type { Backend, UnitsCommand } from "../../src/engine/port/backend";
import { DEFAULT_CAPABILITIES } from "../../src/engine/port/capabilities";
import type { Observation } from "../../src/engine/observation";
import { project } from "../../src/engine/project";

/**
 * fakeBackend — a Backend over an in-memory observation whose mutating methods apply the register transitions of
 * `project`. Any method passed in `overrides` replaces the default; `unexpected` lists methods that must not be
 * called (they throw "unexpected call"). For executor tests that need control over timing and errors; the
 * simulator is the faithful backend.
 */
export function fakeBackend(initial: Observation, overrides: Partial<Backend> = {}, unexpected: readonly (keyof Backend)[] = []): Backend & { state: Observation } {
  const fake = {
    state: initial,
    description: "fake",
    instanceId: "example-instance",
    identity: "example-service",
    capabilities: DEFAULT_CAPABILITIES,
    listUnits: async () => fake.state.units.map(({ id, type, location }) => ({ id, type, location })),
    queryUnit: async (unit: string) => {
      const found = fake.state.units.find((u) => u.id === unit);
      if (!found) throw new Error(`no unit ${unit}`);
      return found;
    },
    rewrapStatus: async () => fake.state.rewrap,
    select: async (units: readonly string[]) => void (fake.state = project(fake.state, { kind: "select", units, vp: "" })),
    deselect: async (units: readonly string[]) => void (fake.state = project(fake.state, { kind: "deselect", units, vp: "" })),
    loadNew: async (r: UnitsCommand) => void (fake.state = project(fake.state, { kind: "loadNew", units: r.units, vp: r.expectedVp })),
    commitNew: async (c: UnitsCommand) => void (fake.state = project(fake.state, { kind: "commitNew", units: c.units, vp: c.expectedVp })),
    clearNew: async (c: UnitsCommand) => void (fake.state = project(fake.state, { kind: "clearNew", units: c.units, vp: c.expectedVp })),
    setImmediate: async (c: UnitsCommand) => void (fake.state = project(fake.state, { kind: "setImmediate", units: c.units, vp: c.expectedVp })),
    rewrap: async (vp: string) => void (fake.state = project(fake.state, { kind: "rewrap", units: [], vp })),
    rotate: async (vp: string) => void (fake.state = project(fake.state, { kind: "rotate", units: fake.state.units.map((u) => u.id), vp })),
  };
  for (const name of unexpected) {
    (fake as Record<string, unknown>)[name] = async () => {
      throw new Error(`unexpected call: ${String(name)}`);
    };
  }
  return Object.assign(fake, overrides) as Backend & { state: Observation };
}
