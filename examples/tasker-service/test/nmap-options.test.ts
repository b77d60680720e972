import { isScanplaneError, PortSet, type ScanplaneError } from '@scanplane/core';
import { describe, expect, it } from 'vitest';
import {
  buildNmapCommand,
  NMAP_OPTION_BOUNDS,
  parseNmapPorts,
  parseNmapTarget,
  resolveNmapLimits,
  resolveNmapOptions,
} from '../src/nmap/nmap-options.js';

/** Runs `fn` and returns the ScanplaneError it throws (failing the test when it throws nothing or something else). */
function thrown(fn: () => unknown): ScanplaneError {
  try {
    fn();
  } catch (error) {
    if (isScanplaneError(error)) return error;
    throw error;
  }
  throw new Error('expected a ScanplaneError, nothing was thrown');
}

const TAIL = ['-oX', '-', '--noninteractive', '--', '127.0.0.1'];

describe('buildNmapCommand: argument lists', () => {
  it('builds phase 1 with safe defaults: connect scan, -Pn, -n, -T3, --open, canonical ports, XML to stdout', () => {
    const command = buildNmapCommand({ target: '127.0.0.1', ports: '443,80,8000-8010,22' });
    expect(command.discoveryArgs).toEqual([
      '-sT',
      '-Pn',
      '-n',
      '-T3',
      '--open',
      '-p',
      '22,80,443,8000-8010',
      ...TAIL,
    ]);
    expect(command.ports.size).toBe(14);
    expect(command.target).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('puts every bounded option in phase 1 and the same scan options plus -sV in phase 2', () => {
    const command = buildNmapCommand({
      target: '127.0.0.1',
      ports: '1-1024',
      options: {
        timing: 4,
        hostTimeoutMs: 60_000,
        maxRetries: 1,
        minRate: 100,
        maxRate: 2000,
        minRttTimeoutMs: 50,
        maxRttTimeoutMs: 500,
        initialRttTimeoutMs: 100,
        versionIntensity: 2,
        resolveDns: true,
        skipHostDiscovery: false,
      },
    });
    const common = [
      '-sT',
      '-R',
      '-T4',
      '--host-timeout',
      '60000ms',
      '--max-retries',
      '1',
      '--min-rtt-timeout',
      '50ms',
      '--max-rtt-timeout',
      '500ms',
      '--initial-rtt-timeout',
      '100ms',
      '--min-rate',
      '100',
      '--max-rate',
      '2000',
    ];
    expect(command.discoveryArgs).toEqual([...common, '--open', '-p', '1-1024', ...TAIL]);
    expect(command.serviceArgs(PortSet.parse('80,22'))).toEqual([
      ...common,
      '-sV',
      '--version-intensity',
      '2',
      '-p',
      '22,80',
      ...TAIL,
    ]);
  });

  it('phase 2 takes only ports phase 1 scanned, and at least one', () => {
    const command = buildNmapCommand({ target: '127.0.0.1', ports: '20-30' });
    expect(thrown(() => command.serviceArgs(PortSet.parse('22,31'))).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => command.serviceArgs(PortSet.fromRanges({}))).message).toMatch(
      /at least one open port/,
    );
  });

  it('adds -6 for IPv6 targets and writes the address in canonical form', () => {
    const command = buildNmapCommand({ target: '0:0:0:0:0:0:0:1', ports: '22' });
    expect(command.discoveryArgs.slice(0, 2)).toEqual(['-sT', '-6']);
    expect(command.discoveryArgs.at(-1)).toBe('::1');
    expect(buildNmapCommand({ target: '::ffff:127.0.0.1', ports: '22' }).discoveryArgs.at(-1)).toBe(
      '127.0.0.1',
    );
  });

  it('uses -sS, -sU and -sY only when privileged scans are allowed', () => {
    const limits = { allowPrivileged: true };
    const command = buildNmapCommand({
      target: '127.0.0.1',
      ports: 'T:80,U:53,S:2905',
      options: { scanType: 'syn' },
      limits,
    });
    expect(command.discoveryArgs.slice(0, 3)).toEqual(['-sS', '-sU', '-sY']);
    expect(command.discoveryArgs).toContain('T:80,U:53,S:2905');
    expect(command.serviceArgs(PortSet.parse('U:53')).slice(0, 1)).toEqual(['-sU']);

    const syn = thrown(() =>
      buildNmapCommand({ target: '127.0.0.1', ports: '80', options: { scanType: 'syn' } }),
    );
    expect(syn.code).toBe('INVALID_ARGUMENT');
    expect(syn.message).toMatch(/'scanType'.*-sS.*limits\.allowPrivileged/);
    const udp = thrown(() => buildNmapCommand({ target: '127.0.0.1', ports: 'U:53' }));
    expect(udp.message).toMatch(/UDP ports.*-sU.*limits\.allowPrivileged/);
  });

  it('lets a task override the handler defaults one option at a time', () => {
    const options = resolveNmapOptions({ maxRetries: 2 }, { defaults: { timing: 5, maxRetries: 0 } });
    expect(options).toMatchObject({ timing: 5, maxRetries: 2, scanType: 'connect', versionIntensity: 7 });
  });
});

describe('bounds: out-of-range options are refused naming the option and the bound', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['timing', 6, /'timing' \(options\) must be an integer from 0 to 5, got 6/],
    ['timing', -1, /from 0 to 5/],
    ['timing', 3.5, /from 0 to 5, got 3\.5/],
    ['maxRetries', 21, /'maxRetries' .* from 0 to 20/],
    ['versionIntensity', 10, /'versionIntensity' .* from 0 to 9/],
    ['hostTimeoutMs', 999, /'hostTimeoutMs' .* from 1000 to 86400000/],
    ['hostTimeoutMs', 86_400_001, /from 1000 to 86400000/],
    ['minRate', 0, /'minRate' .* from 1 to 30000/],
    ['maxRate', 30_001, /'maxRate' .* from 1 to 30000/],
    ['minRttTimeoutMs', 60_001, /from 1 to 60000/],
    ['maxRttTimeoutMs', 0, /from 1 to 60000/],
    ['initialRttTimeoutMs', Number.NaN, /from 1 to 60000/],
    ['scanType', 'xmas', /'scanType' .* must be one of connect, syn, got "xmas"/],
    ['serviceDetection', 'yes', /'serviceDetection' .* must be true or false/],
    ['skipHostDiscovery', 1, /must be true or false/],
  ];
  for (const [option, value, message] of cases) {
    it(`${option} = ${String(value)}`, () => {
      const error = thrown(() => resolveNmapOptions({ [option]: value }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
      expect(error.details.option).toBe(option);
    });
  }

  it('accepts both ends of every numeric bound', () => {
    for (const [option, [min, max]] of Object.entries(NMAP_OPTION_BOUNDS)) {
      const ceiling =
        option === 'minRate' || option === 'maxRate' ? 30_000 : option === 'hostTimeoutMs' ? 86_400_000 : max;
      expect(resolveNmapOptions({ [option]: min })[option as 'timing']).toBe(min);
      expect(resolveNmapOptions({ [option]: ceiling })[option as 'timing']).toBe(ceiling);
    }
  });

  it('checks the combination: minRate ≤ maxRate, minRttTimeoutMs ≤ maxRttTimeoutMs', () => {
    expect(thrown(() => resolveNmapOptions({ minRate: 500, maxRate: 100 })).message).toMatch(
      /'minRate' .*\(500\) must not be above maxRate \(100\)/,
    );
    expect(
      thrown(() => resolveNmapOptions({ maxRate: 100 }, { defaults: { minRate: 500 } })).message,
    ).toMatch(/must not be above maxRate/);
    expect(thrown(() => resolveNmapOptions({ minRttTimeoutMs: 900, maxRttTimeoutMs: 100 })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('lowers the rate and host-timeout ceilings to the limits, and names where the option came from', () => {
    const limits = { maxRate: 500, maxHostTimeoutMs: 10_000 };
    const rate = thrown(() =>
      resolveNmapOptions({ minRate: 501 }, { limits, source: 'task t1 payload.nmap' }),
    );
    expect(rate.message).toBe(
      "[scanplane] nmap option 'minRate' (task t1 payload.nmap) must be an integer from 1 to 500, got 501",
    );
    expect(rate.details).toMatchObject({
      option: 'minRate',
      min: 1,
      max: 500,
      source: 'task t1 payload.nmap',
    });
    expect(thrown(() => resolveNmapOptions({ hostTimeoutMs: 10_001 }, { limits })).message).toMatch(
      /1000 to 10000/,
    );
    expect(thrown(() => resolveNmapOptions({}, { defaults: { maxRate: 600 }, limits })).message).toMatch(
      /'maxRate' \(defaults\)/,
    );
  });

  it('refuses unknown options instead of ignoring them (Tasker ignored top_ports)', () => {
    const error = thrown(() => resolveNmapOptions({ topPorts: 100 }));
    expect(error.message).toMatch(
      /'topPorts' \(options\) is not a known scan option \(known: scanType, timing/,
    );
    expect(thrown(() => resolveNmapOptions(['-sV'])).message).toMatch(/must be an object/);
    expect(thrown(() => resolveNmapOptions('-sV')).message).toMatch(/must be an object/);
  });

  it('validates the limits themselves', () => {
    expect(resolveNmapLimits()).toEqual({
      allowPrivileged: false,
      maxPorts: 196_605,
      maxRate: 30_000,
      maxHostTimeoutMs: 86_400_000,
    });
    expect(thrown(() => resolveNmapLimits({ maxRate: 0 })).message).toMatch(/'maxRate' \(limits\)/);
    expect(thrown(() => resolveNmapLimits({ allowPrivileged: 'yes' })).message).toMatch(/true or false/);
    expect(thrown(() => resolveNmapLimits({ shell: true })).message).toMatch(
      /'shell' \(limits\) is not a known/,
    );
  });

  it('caps the number of ports per task', () => {
    expect(parseNmapPorts('1-100', { maxPorts: 100 }).size).toBe(100);
    const error = thrown(() => parseNmapPorts('1-101', { maxPorts: 100 }));
    expect(error.message).toMatch(/names 101 ports, above limits\.maxPorts \(100\)/);
  });
});

describe('injection: nothing a task carries can become another nmap argument', () => {
  const targets = [
    '-iL/etc/passwd',
    '-oN/tmp/x',
    '127.0.0.1 -oN /tmp/x',
    '127.0.0.1\t-sV',
    '127.0.0.1\n--script=vuln',
    '127.0.0.1,127.0.0.2',
    '127.0.0.0/24',
    '127.0.0.1-5',
    'localhost',
    '$(id)',
    '`id`',
    '127.0.0.1;id',
    '',
    '127.0.0.1\u0000',
  ];
  for (const target of targets) {
    it(`target ${JSON.stringify(target)}`, () => {
      const error = thrown(() => parseNmapTarget(target));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.details.option).toBe('target');
    });
  }

  it('targets that are not strings are refused', () => {
    for (const target of [undefined, null, 2130706433, ['127.0.0.1'], { ip: '127.0.0.1' }])
      expect(thrown(() => parseNmapTarget(target)).message).toMatch(/'target' .* must be a non-empty string/);
  });

  const ports: Array<[string, string]> = [
    ['-p-', 'INVALID_ARGUMENT'],
    ['-1024', 'INVALID_ARGUMENT'],
    ['80 --script=vuln', 'INVALID_ARGUMENT'],
    ['80,\n443', 'INVALID_ARGUMENT'],
    ['80\u200b', 'INVALID_ARGUMENT'],
    ['80,--open', 'PORTS_INVALID'],
    ['80,443;id', 'PORTS_INVALID'],
    ['http', 'PORTS_INVALID'],
    ['0-80', 'PORTS_INVALID'],
    ['1-70000', 'PORTS_INVALID'],
  ];
  for (const [spec, code] of ports) {
    it(`ports ${JSON.stringify(spec)} → ${code}`, () => {
      expect(thrown(() => parseNmapPorts(spec)).code).toBe(code);
    });
  }

  it('numbers given as strings are refused, even when they look like numbers', () => {
    for (const [option, value] of [
      ['maxRetries', '1 --script=vuln'],
      ['maxRetries', '1'],
      ['timing', '4 -sV'],
      ['minRate', '--max-rate=1'],
      ['versionIntensity', ['9']],
    ] as const) {
      const error = thrown(() => resolveNmapOptions({ [option]: value }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/must be an integer/);
    }
  });

  it('word options only take their words', () => {
    for (const value of ['-sS', 'connect -sV', 'CONNECT', ''])
      expect(thrown(() => resolveNmapOptions({ scanType: value })).message).toMatch(
        /must be one of connect, syn/,
      );
  });

  it('every argument built is a fixed flag, a number, or canonical text, and the target follows --', () => {
    const command = buildNmapCommand({
      target: '127.0.0.1',
      ports: '65535,1,2-3',
      options: { maxRetries: 0, timing: 0, hostTimeoutMs: 1000 },
    });
    const args = command.discoveryArgs;
    expect(args.indexOf('--')).toBe(args.length - 2);
    for (const arg of args) expect(arg).toMatch(/^(-[A-Za-z0-9-]+|\d+(ms)?|[\d,-]+|127\.0\.0\.1)$/);
    expect(args[args.indexOf('-p') + 1]).toBe('1-3,65535');
  });
});
