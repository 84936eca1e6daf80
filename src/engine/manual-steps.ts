import type { DivergenceCode } from "./phases";
import type { Vp } from "../model/vp";
import type { ShellWords } from "./shell-words";

/**
 * The manual TKE procedure for each situation the engine refuses to automate, in the words of IBM's CLI.
 * A person reading a refusal should be able to follow these lines one by one.
 */
const INSPECT = ["ibmcloud tke cryptounits", "ibmcloud tke cryptounit-compare", "ibmcloud tke cryptounit-mk"];

const DIVERGENCE_STEPS: Readonly<Record<DivergenceCode, readonly string[]>> = {
  NoUnits: ["ibmcloud tke cryptounits   # check the instance id and the resource group (ibmcloud target -g <group>)"],
  UnitZeroized: [
    ...INSPECT,
    "ibmcloud tke cryptounit-rm; ibmcloud tke cryptounit-add   # select only the zeroized units",
    "ibmcloud tke cryptounit-admin-add   # install the administrators the other units have (imprint mode needs no signature)",
    "ibmcloud tke cryptounit-thrhld-set   # the signature and revocation thresholds of the other units; this ends imprint mode",
    "ibmcloud tke auto-mk-recover   # copies the current master key from a recovery unit into them; without recovery units: cryptounit-mk-load of the current key's parts, cryptounit-mk-commit and cryptounit-mk-setimm on these units only",
  ],
  ImprintMode: [
    ...INSPECT,
    "ibmcloud tke cryptounit-admin-add   # install the same administrators in every unit",
    "ibmcloud tke cryptounit-thrhld-set   # leave imprint mode on all units at the same time",
  ],
  ThresholdsDiffer: [...INSPECT, "ibmcloud tke cryptounit-thrhld-set   # set the same signature and revocation thresholds on every unit"],
  AdministratorsDiffer: [...INSPECT, "ibmcloud tke cryptounit-admin-add / cryptounit-admin-rm   # install the same administrators in every unit"],
  CurrentRegistersDiffer: [
    ...INSPECT,
    "do not run cryptounit-mk-load, -clrnew, -clrcur or auto-mk-rotate on this instance",
    "open an IBM support case with the cryptounit-mk output: current master keys differ and no rotation explains it",
  ],
  NewRegistersDiffer: [
    ...INSPECT,
    "ibmcloud tke sigkey-sel; ibmcloud tke cryptounit-add   # select the units whose new register holds the key to discard",
    "ibmcloud tke cryptounit-mk-clrnew   # only if no cryptounit-mk-rotate ran since the keys were loaded",
  ],
  PendingEqualsCurrent: [...INSPECT, "ibmcloud tke cryptounit-mk-clrnew   # the new register holds the current key; clear it, then load a different key"],
  KeyStorageWithoutKey: [...INSPECT, "do not load or set a master key", "ibmcloud tke auto-mk-recover   # or open an IBM support case"],
  KeyStorageUnderMissingKey: [...INSPECT, "stop: do not run any master key command", "open an IBM support case with the cryptounit-mk output"],
};

/** A pending key nothing of ours records; no rewrap to it is visible, so it may be someone's load to discard. */
export function foreignPendingSteps(words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    "find who loaded the pending key; if it belongs to a rotation in progress, let that rotation finish",
    'if it is yours to discard, and neither cryptounit-mk-rotate nor auto-mk-rotate ran since it was loaded (an auto-mk-rotate that printed "Delaying 30 seconds to allow server to discover new master key values" counts as run): ibmcloud tke cryptounit-mk-clrnew',
    `then run ${words.rotateCommand} again`,
  ];
}

/**
 * A pending key nothing of ours records, while the backend reports a key storage rewrap to it: records are already
 * under it, so clearing it would destroy them. Only finishing that rotation is safe.
 */
export function foreignRewrappingSteps(target: Vp, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    `a key storage rewrap to ${target} has started: never clear it (cryptounit-mk-clrnew), key storage may already be under it`,
    `find who started that rotation and let it finish; to finish it with this tool, declare that key's key part files in ${words.declareKeyParts} and run ${words.rotateCommand}`,
    "or finish it by hand: ibmcloud tke cryptounit-mk-rotate   # completes the rewrap, then set immediate on every unit",
  ];
}

/**
 * A pending key no journal records, where a key generated in a recovery unit is declared: most likely the generation
 * of a run that stopped before its record was kept (the provider's journal reaches the stack state only at the end of
 * a run), so it is resumed by declaring it, never cleared on a guess.
 */
export function foreignPendingGeneratedSteps(target: Vp, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    `if a ${words.generateCommand} generating a key was stopped, the recovery units hold that key in their new register: declare it (${words.declareVp(target)}) and run again; the run finishes the rotation to it where the registers allow (a copy that stopped part-way is refused, with steps), and never generates another`,
    'if it came from an ibmcloud tke auto-mk-rotate run, follow its output: neither "Delaying 30 seconds to allow server to discover new master key values" nor "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm" ⇒ ibmcloud tke auto-mk-rotate again; only "Delaying…" ⇒ ibmcloud tke cryptounit-mk-rotate, never auto-mk-rotate ("the contents of key storage becomes unusable")',
    "never clear it (cryptounit-mk-clrnew) unless you know no rewrap to it started",
    `then run ${words.rotateCommand} again`,
  ];
}

export function precheckSignersSteps(words: ShellWords): readonly string[] {
  return [
    "ibmcloud tke cryptounit-admins   # the administrators installed in every unit",
    "ibmcloud tke sigkeys   # the signature key files on this workstation, with their SKIs",
    `give the signature key files of installed administrators in ${words.signatureKeys}, enough to meet the signature threshold, then run ${words.rotateCommand} again`,
  ];
}

export const CANNOT_FINISH_STEPS: readonly string[] = [
  ...INSPECT,
  "a key storage rewrap to the pending key may have started, but not every unit holds it committed",
  "do not run cryptounit-mk-clrnew; open an IBM support case with the cryptounit-mk output",
];

export const PROMOTED_BEFORE_REWRAP_STEPS: readonly string[] = [
  ...INSPECT,
  "do not run cryptounit-mk-setimm on any other unit: the units not yet promoted are the only ones that still hold the old master key that part of key storage is wrapped under",
  "do not run cryptounit-mk-clrnew, cryptounit-mk-load, auto-mk-rotate or cryptounit-mk-rotate while the current master key registers differ",
  "open an IBM support case with the cryptounit-mk output and the rewrap progress: units were promoted before the key storage rewrap finished",
];

/**
 * When nothing proves the rewrap complete on a half-promoted instance: IBM's rule is the "KMS CRK rewrap successful"
 * message of cryptounit-mk-rotate. `attestation` is the value that attests this very situation.
 */
export function rewrapNotProvenSteps(attestation: string, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    'find the output of the cryptounit-mk-rotate run for this rotation and look for "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm."',
    `if it is there: attest it for this situation and run again: ${words.attest(attestation)}`,
    "if it is not there, or you cannot tell: do not run cryptounit-mk-setimm on any other unit; open an IBM support case with the cryptounit-mk output",
  ];
}

/** When an initialisation needs proof that key storage is empty and the backend cannot report it. */
export function initialisationNotProvenSteps(attestation: string, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    "the backend cannot report whether key storage holds records, and with no current master key none could be rewrapped",
    `if the instance is new (no key was ever created in it): attest that key storage is empty and run again: ${words.attest(attestation)}`,
    "if keys were ever created in it: do not load a master key; recover the old one (ibmcloud tke auto-mk-recover) or open an IBM support case",
  ];
}

/**
 * When units hold a pending key and nothing records which key the declared key part files make (opaque key parts: only
 * the backend opens them). IBM's Activity Tracker records every load with the files' SHA-256s and the key it made.
 */
export function unknownPendingKeySteps(target: Vp, ids: readonly string[], words: ShellWords, options: { readonly visibleRewrap: boolean }): readonly string[] {
  return [
    ...INSPECT,
    `find the load that put ${target} into the new registers: the output of the cryptounit-mk-load (or of the run that stopped), or the Activity Tracker event hs-crypto.tke-cryptounit-master-key-register.add whose requestData.masterKeyIds are the declared files' SHA-256s (${ids.join(", ")}) and whose responseData.verificationPattern is the key it made`,
    `if those files made it: declare it and run again: ${words.declareVp(target)}`,
    options.visibleRewrap
      ? "if someone else loaded it: the backend reports a key storage rewrap to it, so it must never be cleared; let their rotation finish (ibmcloud tke cryptounit-mk-rotate finishes it), then run again"
      : "if someone else loaded it: let their rotation finish, or, if it is theirs to discard and no cryptounit-mk-rotate ran since it was loaded, ibmcloud tke cryptounit-mk-clrnew; then run again",
  ];
}

/** When a load of the declared key part files reported a key other than the declared verification pattern. */
export function keyPartsMismatchSteps(madeVp: Vp, expectedVp: Vp, loaded: boolean, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    `check which is right: the key part files (a load of them made ${madeVp}) or the expected verification pattern ${expectedVp}`,
    `if the files are right: declare ${words.declareVp(madeVp)}, or remove the expected pattern, and run again`,
    ...(loaded
      ? [`if the expected pattern is right: the new registers hold ${madeVp}, loaded from the wrong files and never committed by this tool; clear it (ibmcloud tke cryptounit-mk-clrnew), declare the right files, and run again`]
      : ["if the expected pattern is right: declare the key part files that make it, and run again"]),
  ];
}

/** When a key is to be generated in a recovery unit and the instance cannot (research §4.3, §5.2). */
export function cannotGenerateSteps(initialise: boolean, words: ShellWords): readonly string[] {
  return [
    "ibmcloud tke cryptounits   # the TYPE column: auto-mk-rotate needs RECOVERY crypto units",
    ...(initialise ? ["ibmcloud tke auto-init   # initialises an instance with recovery units with a random master key"] : []),
    `or rotate with key part files (hpcs-mk keypart create, or ibmcloud tke mk-add --random): declare them in ${words.declareKeyParts} instead of a recovery-unit key`,
  ];
}

/** When the generated key is in no unit any more although a rewrap to it may have started. */
export const GENERATED_KEY_LOST_STEPS: readonly string[] = [
  ...INSPECT,
  'find the output of the auto-mk-rotate run: if it printed "Delaying 30 seconds to allow server to discover new master key values", key storage may be partly wrapped under that key',
  "do not run auto-mk-rotate, cryptounit-mk-load or cryptounit-mk-clrnew; recover the key from a recovery unit (ibmcloud tke auto-mk-recover) or open an IBM support case with the cryptounit-mk output",
];

/** When units hold a pending key and a generation of ours stopped before recording the key it made. */
export function unknownGeneratedKeySteps(target: Vp, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    `check that the recovery units hold ${target} in their new register: the generation starts there, so it is most likely the key this tool generated`,
    `if it is: declare it and run again: ${words.declareVp(target)}`,
    "if someone else loaded it: let their rotation finish; never run auto-mk-rotate over a key a rewrap may have started to",
  ];
}

/** research §4.4, auto-mk-rotate: a generation that stopped before every unit held the key. */
export function interruptedGenerationSteps(target: Vp, words: ShellWords): readonly string[] {
  return [
    ...INSPECT,
    'find the output of the auto-mk-rotate run that stopped, and look for "Delaying 30 seconds to allow server to discover new master key values" and "KMS CRK rewrap successful, waiting on cryptounit-mk-setimm"',
    "if neither line is there (IBM: re-encryption has not started): ibmcloud tke auto-mk-rotate   # generates a fresh key over the partial one and rotates to it",
    `if either line is there: do not run auto-mk-rotate again ("the contents of key storage becomes unusable"); open an IBM support case with the cryptounit-mk output (${target} is not in every unit)`,
    `then run ${words.rotateCommand} again`,
  ];
}

/**
 * The order several reasons' steps are followed in: what forbids commands first, then set-up before register fixes.
 * A record, so that a new reason cannot be added without a place in it.
 */
const DIVERGENCE_RANK: Readonly<Record<DivergenceCode, number>> = {
  NoUnits: 0,
  KeyStorageUnderMissingKey: 1,
  KeyStorageWithoutKey: 2,
  CurrentRegistersDiffer: 3,
  UnitZeroized: 4,
  ImprintMode: 5,
  AdministratorsDiffer: 6,
  ThresholdsDiffer: 7,
  NewRegistersDiffer: 8,
  PendingEqualsCurrent: 9,
};

/**
 * The manual steps for every reason an instance is Diverged, as one procedure: each line once, in DIVERGENCE_RANK order,
 * and without the steps another reason's already cover (leaving imprint mode sets the thresholds every unit shares).
 */
export function divergenceSteps(codes: readonly DivergenceCode[]): readonly string[] {
  const present = [...new Set(codes)].sort((a, b) => DIVERGENCE_RANK[a] - DIVERGENCE_RANK[b]);
  const covered = (code: DivergenceCode) => present.includes("ImprintMode") && code === "ThresholdsDiffer";
  return [...new Set(present.filter((code) => !covered(code)).flatMap((code) => DIVERGENCE_STEPS[code]))];
}
