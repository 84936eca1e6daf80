import { readFileSync } from "node:fs";
import { join } from "node:path";

/** This package's name and version (package.json, two levels above both src/files and dist/files). */
export function toolIdentity(): { readonly name: string; readonly version: string } {
  const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
