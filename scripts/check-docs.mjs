#!/usr/bin/env node
// Checks the generated API model (docs/api/api.json): every exported top-level symbol of every package has a
// summary and at least one @example. typedoc itself (treatWarningsAsErrors) checks members are documented and links
// resolve; this adds the house rule that public symbols show how they are used.
import { readFileSync } from 'node:fs';

const model = JSON.parse(readFileSync(new URL('../docs/api/api.json', import.meta.url), 'utf8'));
const missing = [];
const kinds = new Set([8, 32, 64, 128, 256, 2097152]); // enum, variable, function, class, interface, type alias

function comment(reflection) {
  return reflection.comment ?? reflection.signatures?.[0]?.comment;
}

function visit(node, path) {
  for (const child of node.children ?? []) {
    const here = [...path, child.name];
    if (child.kind === 2 || child.kind === 4) {
      visit(child, here); // module or namespace
      continue;
    }
    if (!kinds.has(child.kind)) continue;
    const doc = comment(child);
    const hasSummary = (doc?.summary ?? []).some((part) => part.text.trim() !== '');
    const hasExample = (doc?.blockTags ?? []).some((tag) => tag.tag === '@example');
    if (!hasSummary || !hasExample) {
      missing.push(
        `${here.join('.')}: ${hasSummary ? '' : 'no summary '}${hasExample ? '' : 'no @example'}`.trim(),
      );
    }
  }
}

visit(model, []);
if (missing.length > 0) {
  console.error(`check-docs: ${missing.length} public symbol(s) without a summary or @example:`);
  for (const line of missing) console.error(`  ${line}`);
  process.exit(1);
}
console.log('check-docs: every public symbol has a summary and an @example');
