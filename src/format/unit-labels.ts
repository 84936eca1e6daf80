/**
 * Human output names units by CRYPTO UNIT NUM (`#3`), as the tables number them, instead of 36-character HSM ids:
 * progress lines and plan reasons name five of them at a time. --json output keeps the ids.
 */
export interface UnitNum {
  readonly num: number;
  readonly id: string;
}

export type Labeler = (text: string) => string;

/** unitLabeler — replaces each HSM id of `units` in a line with `#num`. */
export function unitLabeler(units: readonly UnitNum[]): Labeler {
  if (units.length === 0) return (text) => text;
  const byId = new Map(units.map((u) => [u.id, `#${u.num}`]));
  const pattern = new RegExp([...byId.keys()].map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return (text) => text.replace(pattern, (id) => byId.get(id) ?? id);
}
