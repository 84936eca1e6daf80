import type { Vp } from "./vp";

/** Current master key register states, exactly as TKE prints them (research §1.2). */
export const CURRENT_STATUSES = ["Empty", "Valid"] as const;
export type CurrentStatus = (typeof CURRENT_STATUSES)[number];

/** New master key register states, exactly as TKE prints them (research §1.2). */
export const NEW_STATUSES = ["Empty", "Full Uncommitted", "Full Committed"] as const;
export type NewStatus = (typeof NEW_STATUSES)[number];

/** Crypto unit types (research §1.1). All of them take part in a rotation. */
export const UNIT_TYPES = ["operational", "recovery", "failover"] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

export interface CurrentRegister {
  readonly status: CurrentStatus;
  /** EMPTY_VP when Empty. */
  readonly vp: Vp;
}

export interface NewRegister {
  readonly status: NewStatus;
  /** EMPTY_VP when Empty. */
  readonly vp: Vp;
}

export interface Administrator {
  /** Subject key identifier: SHA-256 of the uncompressed public point, 64 lower-case hex. */
  readonly ski: string;
  /** At most 30 characters (research §1.3). */
  readonly name: string;
}

export interface Thresholds {
  /** 0 means imprint mode. */
  readonly signature: number;
  readonly revocation: number;
}

export const MAX_ADMINISTRATORS = 8;
export const MAX_ADMIN_NAME_LENGTH = 30;

/** Imprint mode: thresholds 0/0. Master key commands are not allowed (EP11 3-179). */
export function inImprintMode(thresholds: Thresholds): boolean {
  return thresholds.signature === 0;
}

/** Allowed instance shapes (research §1.1): 2–3 operational, 0 or 2 recovery, 0/2/3 failover (≤ operational). */
export interface InstanceShape {
  readonly operational: number;
  readonly recovery: number;
  readonly failover: number;
}

/** Returns what is wrong with a shape, or undefined when HPCS could provision it. */
export function shapeProblem(shape: InstanceShape): string | undefined {
  if (![2, 3].includes(shape.operational)) return `operational units must be 2 or 3, not ${shape.operational}`;
  if (![0, 2].includes(shape.recovery)) return `recovery units must be 0 or 2, not ${shape.recovery}`;
  if (![0, 2, 3].includes(shape.failover)) return `failover units must be 0, 2 or 3, not ${shape.failover}`;
  if (shape.failover > shape.operational) return `failover units (${shape.failover}) cannot exceed operational units (${shape.operational})`;
  return undefined;
}
