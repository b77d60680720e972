import { isScanplaneError, PortSet, type ScanplaneError } from '@scanplane/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackServices, startLoopbackServices } from '../src/nmap/loopback-services.js';
import { buildNmapCommand } from '../src/nmap/nmap-options.js';
import { runNmapProcess } from '../src/nmap/nmap-process.js';
import { parseNmapXml } from '../src/nmap/nmap-xml.js';
import { parseStrictXml } from '../src/nmap/strict-xml.js';

const NMAP = process.env.NMAP_BINARY ?? 'nmap';

function thrown(fn: () => unknown): ScanplaneError {
  try {
    fn();
  } catch (error) {
    if (isScanplaneError(error)) return error;
    throw error;
  }
  throw new Error('expected a ScanplaneError, nothing was thrown');
}

/** Real nmap output, captured from scans of this file's own loopback listeners. */
let services: LoopbackServices;
let discoveryXml: string;
let serviceXml: string;
let noneOpenXml: string;

beforeAll(async () => {
  services = await startLoopbackServices();
  const command = buildNmapCommand({
    target: '127.0.0.1',
    ports: services.range,
    options: { timing: 4, versionIntensity: 1 },
  });
  try {
    discoveryXml = (await runNmapProcess({ binary: NMAP, args: command.discoveryArgs })).stdout;
  } catch (error) {
    throw new Error(
      `nmap could not run (${(error as Error).message}); install it: apt-get install -y nmap (or set NMAP_BINARY)`,
    );
  }
  const closedOnly = buildNmapCommand({
    target: '127.0.0.1',
    ports: services.closed.join(','),
    options: { timing: 4 },
  });
  noneOpenXml = (await runNmapProcess({ binary: NMAP, args: closedOnly.discoveryArgs })).stdout;
  const open = PortSet.parse(`${services.plain},${services.ssh},${services.http}`);
  serviceXml = (await runNmapProcess({ binary: NMAP, args: command.serviceArgs(open) })).stdout;
});

afterAll(async () => {
  await services?.close();
});

describe('parseNmapXml on real nmap output', () => {
  it('reads phase 1 (--open): the run, the host, the open ports and the closed ones summarised', () => {
    const run = parseNmapXml(discoveryXml);
    expect(run.exit).toBe('success');
    expect(run.version).toMatch(/^\d+\.\d+/);
    // Entities are decoded: nmap writes --open as -&#45;open inside the args attribute.
    expect(run.args).toContain(`--open -p ${services.range}`);
    expect(run.elapsedSeconds).toBeGreaterThanOrEqual(0);
    expect(run.hosts).toHaveLength(1);
    expect([run.hostsUp, run.hostsDown]).toEqual([1, 0]);
    const [host] = run.hosts;
    expect(host?.state).toBe('up');
    expect(host?.reason).toBe('user-set');
    expect(host?.timedOut).toBe(false);
    expect(host?.addresses).toEqual([{ address: '127.0.0.1', type: 'ipv4' }]);
    expect(host?.ports.map((port) => [port.protocol, port.port, port.state])).toEqual([
      ['tcp', services.plain, 'open'],
      ['tcp', services.ssh, 'open'],
      ['tcp', services.http, 'open'],
    ]);
    // Phase 1 only guesses services from the port number (nmap-services), when it knows the number at all.
    for (const port of host?.ports ?? []) {
      expect(port.reason).toBe('syn-ack');
      expect(port.service === undefined || port.service.method === 'table').toBe(true);
    }
    expect(host?.extraPorts).toEqual([{ state: 'closed', count: 3 }]);
  });

  it('reads an --open run with nothing open: nmap leaves the host out but counts it up', () => {
    const run = parseNmapXml(noneOpenXml);
    expect(run.hosts).toEqual([]);
    expect(run.hostsUp).toBe(1);
    expect(run.exit).toBe('success');
  });

  it('reads phase 2 (-sV): product, version, extra information and CPEs of the banner services', () => {
    const run = parseNmapXml(serviceXml);
    const ports = new Map(run.hosts[0]?.ports.map((port) => [port.port, port]));
    expect(ports.get(services.ssh)?.service).toMatchObject({
      name: 'ssh',
      product: 'OpenSSH',
      version: expect.stringMatching(/^8\.9p1/),
      method: 'probed',
      confidence: 10,
      cpe: expect.arrayContaining(['cpe:/a:openbsd:openssh:8.9p1']),
    });
    expect(ports.get(services.ssh)?.service?.extraInfo).toMatch(/protocol 2\.0/);
    expect(ports.get(services.http)?.service).toMatchObject({
      name: 'http',
      product: 'nginx',
      version: '1.18.0',
      method: 'probed',
    });
    expect(ports.get(services.plain)?.service?.product).toBeUndefined();
  });

  it('refuses truncated output (what a killed nmap leaves)', () => {
    for (const cut of [0.2, 0.5, 0.9]) {
      const error = thrown(() => parseNmapXml(discoveryXml.slice(0, Math.floor(discoveryXml.length * cut))));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/never closed|ends inside a tag|has no <runstats>/);
    }
    // Cut right after </host>: well formed up to there, but the run never finished.
    const cut = discoveryXml.slice(0, discoveryXml.indexOf('</host>') + 7) + '</nmaprun>';
    expect(thrown(() => parseNmapXml(cut)).message).toMatch(/<nmaprun> has no <runstats>/);
  });

  it('refuses a wrong root, a bad port number and an unknown protocol', () => {
    expect(thrown(() => parseNmapXml('<scan/>')).message).toMatch(/root element is <scan>/);
    const bad = (replace: [string, string]) => serviceXml.replace(...replace);
    expect(thrown(() => parseNmapXml(bad([`portid="${services.ssh}"`, 'portid="70000"']))).message).toMatch(
      /<port portid="70000"> is not an integer from 1 to 65535/,
    );
    expect(thrown(() => parseNmapXml(bad([`portid="${services.ssh}"`, 'portid="-22"']))).message).toMatch(
      /portid="-22"/,
    );
    expect(
      thrown(() => parseNmapXml(bad(['<port protocol="tcp"', '<port protocol="icmp"']))).message,
    ).toMatch(/protocol="icmp"/);
    expect(thrown(() => parseNmapXml(bad(['exit="success"', 'exit="maybe"']))).message).toMatch(
      /exit="maybe"/,
    );
  });

  it('reports an error run with its message', () => {
    const failed = discoveryXml.replace('exit="success"', 'exit="error" errormsg="Failed to open device lo"');
    expect(parseNmapXml(failed)).toMatchObject({ exit: 'error', errorMessage: 'Failed to open device lo' });
  });

  it('reads a host nmap gave up on at its --host-timeout', () => {
    const timedOut = discoveryXml.replace(/<host /, '<host timedout="true" ');
    expect(parseNmapXml(timedOut).hosts[0]?.timedOut).toBe(true);
  });
});

describe('parseStrictXml: a small, strict XML reader', () => {
  it('reads elements, attributes in either quotes, text, CDATA, comments, PIs and a plain DOCTYPE', () => {
    const root = parseStrictXml(
      `<?xml version="1.0"?>\n<!DOCTYPE r>\n<!-- c --><r a="1" b='&lt;&amp;&gt;&quot;&apos;'><x>t&#65;&#x42;</x><y/><![CDATA[<raw>]]></r>\n`,
    );
    expect(root.name).toBe('r');
    expect(root.attributes).toEqual({ a: '1', b: `<&>"'` });
    expect(root.children.map((child) => child.name)).toEqual(['x', 'y']);
    expect(root.children[0]?.text).toBe('tAB');
    expect(root.text).toBe('<raw>');
  });

  const refused: Array<[string, string, RegExp]> = [
    [
      'an internal DTD subset (entity expansion)',
      '<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>',
      /DTD internal subsets/,
    ],
    ['an undefined entity', '<r>&nbsp;</r>', /undefined entity '&nbsp;'/],
    ['an unterminated entity', '<r a="x &amp y"/>', /unterminated entity/],
    ['a bad character reference', '<r>&#0;</r>', /not a valid character/],
    ['mismatched tags', '<r><a></b></r>', /end tag <\/b> closes <a>/],
    ['an unclosed element', '<r><a>', /<a> is never closed/],
    ['two roots', '<r/><s/>', /a second root element <s>/],
    ['text outside the root', '<r/>trailing', /text outside the root/],
    ['an unquoted attribute', '<r a=1/>', /is not quoted/],
    ['a duplicate attribute', '<r a="1" a="2"/>', /duplicate attribute 'a'/],
    ['attributes without whitespace', '<r a="1"b="2"/>', /separated by whitespace/],
    ["'<' inside an attribute", '<r a="<"/>', /contains '<'/],
    ['a stray <', '<r>< x</r>', /does not start a tag/],
    ['an element declaration', '<!ELEMENT r ANY><r/>', /markup declarations/],
    ['no root', '<?xml version="1.0"?>', /no root element/],
  ];
  for (const [what, xml, message] of refused) {
    it(`refuses ${what}`, () => {
      const error = thrown(() => parseStrictXml(xml));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/at line \d+, column \d+/);
    });
  }

  it('never fetches an external DOCTYPE identifier, and no entity can come from it', () => {
    expect(parseStrictXml('<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>').name).toBe('r');
    expect(thrown(() => parseStrictXml('<!DOCTYPE r SYSTEM "x"><r>&ext;</r>')).message).toMatch(
      /undefined entity/,
    );
  });

  it('refuses nesting and element counts over its limits', () => {
    const deep = '<a>'.repeat(40) + '</a>'.repeat(40);
    expect(thrown(() => parseStrictXml(deep)).message).toMatch(/nested deeper than 32/);
    expect(parseStrictXml(deep, { maxDepth: 40 }).name).toBe('a');
    expect(thrown(() => parseStrictXml(`<r>${'<x/>'.repeat(11)}</r>`, { maxElements: 10 })).message).toMatch(
      /more than 10 elements/,
    );
  });

  it('says where the problem is', () => {
    const error = thrown(() => parseStrictXml('<r>\n  <a>\n  </b>\n</r>'));
    expect(error.details).toMatchObject({ line: 3, column: 3 });
  });
});
