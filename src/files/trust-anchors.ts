import { z } from "zod";
import { InputError } from "../model/errors";
import { describeIssue, parseJsonText } from "../model/json-text";
import type { TrustAnchor } from "../protocol/ibm-roots";
import { readBoundedFile } from "./read-file";

/**
 * The roots a test configuration trusts instead of IBM's (`hpcs:tkeApiTestRootsFile`, written by the TKE API
 * emulator): a JSON array of P-521 keys in the form of protocol/ibm-roots.ts. Read only by the composition root, and
 * only with a test endpoint.
 */
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`), `expected ${bytes} bytes as lower-case hex`);
const anchorsSchema = z.array(z.object({ name: z.string().min(1), format: z.enum(["OA2", "OA3"]), ski: hex(32), x: hex(66), y: hex(66) })).min(1);

export function readTrustAnchors(file: string): TrustAnchor[] {
  const fail = (detail: string, cause?: unknown) => new InputError(`hpcs:tkeApiTestRootsFile ${file}: ${detail}`, "tkeApiTestRootsFile", { cause });
  const text = readBoundedFile(file, 64 * 1024, fail).toString("utf8");
  const parsed = anchorsSchema.safeParse(parseJsonText(text, fail, "not JSON: expected an array of roots { name, format, ski, x, y }"));
  if (!parsed.success) throw fail(describeIssue(parsed.error));
  return parsed.data.map((a) => ({ ...a, name: `test root ${a.name}` }));
}
