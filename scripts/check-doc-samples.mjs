#!/usr/bin/env node
// Typechecks every TypeScript sample in the documentation, so samples cannot rot: each ```ts (or ```typescript)
// fenced block of docs/**/*.md (not the generated docs/api), README.md and packages/*/README.md becomes a module in
// node_modules/.cache/doc-samples/, compiled with the workspace's strict settings (tsconfig.base.json) against the
// packages' built types (`pnpm build` first). Top-level await is allowed. A block whose fence reads ```ts fragment is
// skipped: keep those rare (a piece of a larger sample, shown alone on purpose). Errors name the Markdown file and the
// line in it; the exit status is 1 when any sample fails.
//
//   node scripts/check-doc-samples.mjs            check every sample
//   node scripts/check-doc-samples.mjs --list     list the samples found, then check them
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'doc-samples');
/** Directories under docs/ that are generated output, not documentation sources. */
const GENERATED = new Set(['docs/api', 'docs/site']);
const TS_LANGUAGES = new Set(['ts', 'typescript']);
const BUILTINS = new Set(builtinModules);

/** Markdown files whose samples are checked, relative to the root, in a stable order. */
function markdownFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!GENERATED.has(path)) walk(path);
      } else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(ROOT, 'docs'))) walk('docs');
  files.sort();
  const packages = readdirSync(join(ROOT, 'packages'))
    .filter((name) => existsSync(join(ROOT, 'packages', name, 'README.md')))
    .sort()
    .map((name) => `packages/${name}/README.md`);
  return ['README.md', ...packages, ...files];
}

/**
 * The fenced code blocks of a Markdown text: language, the words after it, the 1-based line of the first code line,
 * the indentation removed, and the code. Fences may be indented (inside list items); a closing fence uses the same
 * character, at least as many times.
 */
function fencedBlocks(text) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, info] = open;
    const [language = '', ...flags] = info.trim().split(/\s+/);
    const code = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close !== null && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      const line = lines[j];
      const strip = Math.min(indent.length, line.length - line.trimStart().length);
      code.push(line.slice(strip));
    }
    blocks.push({
      language: language.toLowerCase(),
      flags,
      line: i + 2,
      indent: indent.length,
      code: code.join('\n'),
    });
    i = j;
  }
  return blocks;
}

/** The package a bare import specifier names (`@scope/name` or `name`), or undefined for relative and built-ins. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? undefined : name;
}

/** Every package a sample imports. */
function importedPackages(code) {
  const names = new Set();
  const patterns = [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s+['"]([^'"]+)['"]/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const name = packageOf(match[1]);
      if (name !== undefined) names.add(name);
    }
  }
  return names;
}

/** The workspace's packages by name (`@scanplane/core` → packages/core). */
function workspacePackages() {
  const packages = new Map();
  for (const dir of ['packages', 'examples']) {
    if (!existsSync(join(ROOT, dir))) continue;
    for (const name of readdirSync(join(ROOT, dir))) {
      const manifest = join(ROOT, dir, name, 'package.json');
      if (existsSync(manifest))
        packages.set(JSON.parse(readFileSync(manifest, 'utf8')).name, join(ROOT, dir, name));
    }
  }
  return packages;
}

/**
 * Where a third-party package is installed: the root's node_modules, then any workspace package's (pnpm does not
 * hoist dependencies to the root), then pnpm's hidden hoisting directory.
 */
function findInstalled(name) {
  const roots = [join(ROOT, 'node_modules')];
  for (const dir of ['packages', 'examples']) {
    if (!existsSync(join(ROOT, dir))) continue;
    for (const entry of readdirSync(join(ROOT, dir))) roots.push(join(ROOT, dir, entry, 'node_modules'));
  }
  roots.push(join(ROOT, 'node_modules', '.pnpm', 'node_modules'));
  return roots.map((root) => join(root, ...name.split('/'))).find((path) => existsSync(path));
}

/** Links a package into the samples' own node_modules. */
function link(name, target) {
  const path = join(OUT, 'node_modules', ...name.split('/'));
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/** A file name for a sample: its Markdown path and line, readable in the cache directory. */
function sampleFileName(markdown, line) {
  return `${markdown.replace(/[/\\.]/g, '_')}.L${line}.ts`;
}

/**
 * Where a diagnostic is, in Markdown terms: the sample's file and the line and column there (a sample's code starts
 * at its `line`, shifted by the indentation removed); other files as they are; `file: ''` for global diagnostics.
 */
function locate(diagnostic, samples) {
  const text = `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ')}`;
  if (diagnostic.file === undefined || diagnostic.start === undefined)
    return { file: '', line: 0, column: 0, text };
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const sample = samples.get(diagnostic.file.fileName.split('/').join(sep));
  if (sample === undefined) {
    return { file: relative(ROOT, diagnostic.file.fileName), line: line + 1, column: character + 1, text };
  }
  return { file: sample.markdown, line: sample.line + line, column: character + 1 + sample.indent, text };
}

function main() {
  const list = process.argv.includes('--list');
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);

  const samples = new Map(); // sample file → { markdown, line, indent }
  const packages = new Set();
  let fragments = 0;
  const files = markdownFiles();
  for (const markdown of files) {
    for (const block of fencedBlocks(readFileSync(join(ROOT, markdown), 'utf8'))) {
      if (!TS_LANGUAGES.has(block.language)) continue;
      if (block.flags.includes('fragment')) {
        fragments++;
        if (list) console.log(`  ${markdown}:${block.line} (fragment, skipped)`);
        continue;
      }
      const file = join(OUT, sampleFileName(markdown, block.line));
      // `export {}` makes every sample a module: top-level await works and names never clash between samples.
      writeFileSync(file, `${block.code}\nexport {};\n`);
      samples.set(file, { markdown, line: block.line, indent: block.indent });
      for (const name of importedPackages(block.code)) packages.add(name);
      if (list) console.log(`  ${markdown}:${block.line}`);
    }
  }

  const workspace = workspacePackages();
  for (const name of packages) {
    const target = workspace.get(name) ?? findInstalled(name);
    if (target !== undefined) link(name, target);
    const types = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
    const typesTarget = findInstalled(types);
    if (typesTarget !== undefined) link(types, typesTarget);
  }

  const base = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  if (base.error !== undefined)
    throw new Error(ts.flattenDiagnosticMessageText(base.error.messageText, '\n'));
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      ...base.config.compilerOptions,
      noEmit: true,
      declaration: false,
      sourceMap: false,
      typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    OUT,
  );
  if (errors.length > 0)
    throw new Error(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n'));
  const program = ts.createProgram({ rootNames: [...samples.keys()], options });
  const diagnostics = ts.getPreEmitDiagnostics(program);

  const problems = diagnostics.map((diagnostic) => locate(diagnostic, samples));
  const order = new Map(files.map((file, i) => [file, i]));
  problems.sort(
    (a, b) => (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1) || a.line - b.line || a.column - b.column,
  );
  const counted = `${samples.size} TypeScript sample(s) from ${files.length} Markdown file(s)${
    fragments > 0 ? `, ${fragments} fragment(s) skipped` : ''
  }`;
  if (problems.length > 0) {
    console.error(`check-doc-samples: ${problems.length} error(s) in ${counted}:`);
    for (const { file, line, column, text } of problems) {
      console.error(`  ${file === '' ? '' : `${file}:${line}:${column}: `}${text}`);
    }
    console.error(
      'Each sample is compiled as a module of its own: import what it uses and declare what it assumes ' +
        '(`declare const store: MemoryStore;`). Build the packages first (`pnpm build`): samples use their types.',
    );
    process.exit(1);
  }
  console.log(`check-doc-samples: ${counted} typecheck`);
}

main();
