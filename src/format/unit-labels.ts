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

/** Units in the order `ibmcloud tke cryptounits` lists them, numbered from 1 as its CRYPTO UNIT NUM column does. */
export function numbered(units: readonly { readonly id: string }[]): UnitNum[] {
  return units.map((u, i) => ({ num: i + 1, id: u.id }));
}

/** The key to `#num` labels, once per run where ids are not shown elsewhere: `#1 = <id>, #2 = <id>`. */
export function unitKey(units: readonly UnitNum[]): string {
  return `crypto units by CRYPTO UNIT NUM: ${units.map((u) => `#${u.num} = ${u.id}`).join(", ")}`;
}
