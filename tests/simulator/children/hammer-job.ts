import type { KeyPartRef } from "../../../src/files/key-parts";
import type { SignatureKeyRef } from "../../../src/files/signature-keys";

/** The job a hammer child runs (passed as JSON in argv). */
export interface HammerJob {
  readonly dir: string;
  readonly instanceId: string;
  readonly unit: string;
  readonly iterations: number;
  readonly armFaults: boolean;
  readonly signatureKeys: readonly SignatureKeyRef[];
  readonly keyParts: readonly KeyPartRef[];
}
