import { ScanplaneError } from '@scanplane/core';

/**
 * One element of a parsed XML document: its name, its attributes (entities decoded), its child elements in order,
 * and its text content (the concatenated character data directly inside it, entities decoded).
 *
 * @example
 * ```ts
 * import type { XmlElement } from './strict-xml.js';
 * const cpe: XmlElement = { name: 'cpe', attributes: {}, children: [], text: 'cpe:/a:openbsd:openssh:8.9p1' };
 * ```
 */
export interface XmlElement {
  /** The tag name. */
  name: string;
  /** Attribute values by name. */
  attributes: Record<string, string>;
  /** Child elements, in document order. */
  children: XmlElement[];
  /** Character data directly inside the element. */
  text: string;
}

/**
 * Limits of {@link parseStrictXml}.
 *
 * @example
 * ```ts
 * import type { StrictXmlLimits } from './strict-xml.js';
 * const limits: StrictXmlLimits = { maxDepth: 16, maxElements: 100_000 };
 * ```
 */
export interface StrictXmlLimits {
  /** Deepest nesting accepted. Default 32 (nmap's output is 5 deep). */
  maxDepth?: number;
  /** Most elements accepted. Default 1,000,000. */
  maxElements?: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Parses a small, strict subset of XML 1.0 — exactly what nmap writes with `-oX` — into an element tree:
 * elements, attributes in single or double quotes, character data, the five predefined entities and numeric
 * character references, comments, processing instructions (skipped), CDATA sections, and a `<!DOCTYPE name>`
 * without an internal subset. Anything else is refused rather than guessed: DTD internal subsets (so no entity
 * definitions, no external entities, no "billion laughs"), undefined entities, mismatched or unclosed tags,
 * duplicate attributes, text outside the root element, and nesting or element counts over the limits.
 *
 * @throws {@link ScanplaneError} `INVALID_ARGUMENT` saying what is wrong and where (line and column).
 * @example
 * ```ts
 * import { parseStrictXml } from './strict-xml.js';
 * const root = parseStrictXml('<a x="1"><b>t&amp;t</b></a>');
 * root.children[0]?.text; // 't&t'
 * ```
 */
export function parseStrictXml(text: string, limits: StrictXmlLimits = {}): XmlElement {
  const maxDepth = limits.maxDepth ?? 32;
  const maxElements = limits.maxElements ?? 1_000_000;
  const fail = (at: number, message: string): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new ScanplaneError(
      'INVALID_ARGUMENT',
      `invalid XML at line ${line}, column ${column}: ${message}`,
      {
        details: { line, column, offset: at },
      },
    );
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let i = 0;
  const skipPast = (terminator: string, what: string): void => {
    const end = text.indexOf(terminator, i);
    if (end === -1) fail(i, `unterminated ${what}`);
    i = end + terminator.length;
  };
  const addText = (raw: string, at: number): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      if (raw.trim() !== '') fail(at, 'text outside the root element');
      return;
    }
    parent.text += raw;
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt === -1) {
      addText(decode(text.slice(i), i, fail), i);
      break;
    }
    if (lt > i) addText(decode(text.slice(i, lt), i, fail), i);
    i = lt;
    if (text.indexOf('>', i) === -1) fail(i, 'the document ends inside a tag (truncated output?)');
    if (text.startsWith('<!--', i)) {
      skipPast('-->', 'comment');
    } else if (text.startsWith('<?', i)) {
      skipPast('?>', 'processing instruction');
    } else if (text.startsWith('<![CDATA[', i)) {
      const start = i + 9;
      skipPast(']]>', 'CDATA section');
      addText(text.slice(start, i - 3), start);
    } else if (text.startsWith('<!DOCTYPE', i)) {
      if (root !== undefined || stack.length > 0) fail(i, 'a DOCTYPE after the root element started');
      const end = text.indexOf('>', i);
      if (end === -1) fail(i, 'unterminated DOCTYPE');
      if (text.slice(i, end).includes('['))
        fail(i, 'DTD internal subsets (entity definitions) are not accepted');
      i = end + 1;
    } else if (text.startsWith('</', i)) {
      const match = NAME.exec(text.slice(i + 2, i + 2 + 256));
      if (match === null) fail(i, 'an end tag without a name');
      const name = (match as RegExpExecArray)[0];
      const open = stack.pop();
      if (open === undefined) fail(i, `end tag </${name}> without a start tag`);
      if ((open as XmlElement).name !== name)
        fail(i, `end tag </${name}> closes <${(open as XmlElement).name}>`);
      i += 2 + name.length;
      while (isSpace(text.charCodeAt(i))) i++;
      if (text[i] !== '>') fail(i, `end tag </${name}> is not closed with '>'`);
      i++;
    } else if (text[i] === '<' && text[i + 1] === '!') {
      fail(i, 'markup declarations other than a plain DOCTYPE are not accepted');
    } else {
      const match = NAME.exec(text.slice(i + 1, i + 1 + 256));
      if (match === null) fail(i, "'<' that does not start a tag (write &lt;)");
      const element: XmlElement = {
        name: (match as RegExpExecArray)[0],
        attributes: {},
        children: [],
        text: '',
      };
      if (root !== undefined && stack.length === 0) fail(i, `a second root element <${element.name}>`);
      if (stack.length + 1 > maxDepth) fail(i, `elements nested deeper than ${maxDepth}`);
      if (++elements > maxElements) fail(i, `more than ${maxElements} elements`);
      i += 1 + element.name.length;
      let selfClosing = false;
      for (;;) {
        const spaced = isSpace(text.charCodeAt(i));
        while (isSpace(text.charCodeAt(i))) i++;
        if (text.startsWith('/>', i)) {
          selfClosing = true;
          i += 2;
          break;
        }
        if (text[i] === '>') {
          i++;
          break;
        }
        if (i >= text.length) fail(i, `unterminated start tag <${element.name}>`);
        if (!spaced) fail(i, `attributes of <${element.name}> must be separated by whitespace`);
        const attribute = NAME.exec(text.slice(i, i + 256));
        if (attribute === null) fail(i, `a malformed attribute in <${element.name}>`);
        const name = (attribute as RegExpExecArray)[0];
        if (Object.hasOwn(element.attributes, name))
          fail(i, `duplicate attribute '${name}' in <${element.name}>`);
        i += name.length;
        while (isSpace(text.charCodeAt(i))) i++;
        if (text[i] !== '=') fail(i, `attribute '${name}' of <${element.name}> has no value`);
        i++;
        while (isSpace(text.charCodeAt(i))) i++;
        const quote = text[i];
        if (quote !== '"' && quote !== "'") fail(i, `attribute '${name}' of <${element.name}> is not quoted`);
        const end = text.indexOf(quote as string, i + 1);
        if (end === -1) fail(i, `attribute '${name}' of <${element.name}> is not closed`);
        const raw = text.slice(i + 1, end);
        if (raw.includes('<')) fail(i, `attribute '${name}' of <${element.name}> contains '<'`);
        element.attributes[name] = decode(raw, i + 1, fail);
        i = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length > 0)
    fail(text.length, `<${(stack[stack.length - 1] as XmlElement).name}> is never closed`);
  if (root === undefined) fail(0, 'no root element');
  return root as XmlElement;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function decode(raw: string, offset: number, fail: (at: number, message: string) => never): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,16});?/g, (whole, body: string, at: number) => {
    if (!whole.endsWith(';')) return fail(offset + at, `an unterminated entity reference '${whole}'`);
    const predefined = PREDEFINED[body];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
    if (numeric === null) return fail(offset + at, `an undefined entity '&${body};'`);
    const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return fail(offset + at, `character reference '&${body};' is not a valid character`);
    return String.fromCodePoint(code);
  });
}
