import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO } from "../helpers/packed";

/** Every relative link in the Markdown docs names a file that exists, and an anchor that one of its headings makes. */

const PAGES = [join(REPO, "README.md"), ...readdirSync(join(REPO, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(REPO, "docs", f)), join(REPO, "examples/simulator/README.md"), join(REPO, "examples/recovery-unit/README.md")];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

function anchors(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
}

const links = PAGES.flatMap((page) =>
  [...readFileSync(page, "utf8").replace(/```[\s\S]*?```/g, "").matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => ({ page: relative(REPO, page), target })),
);

test.each(links)("$page links to $target", ({ page, target }) => {
  const [path, anchor] = target.split("#");
  const file = path === "" ? join(REPO, page) : resolve(dirname(join(REPO, page)), path);
  expect(existsSync(file)).toBe(true);
  if (anchor !== undefined && file.endsWith(".md")) expect([...anchors(file)]).toContain(anchor);
});
