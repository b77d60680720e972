// A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check what /metrics serves:
// every line must be a comment (# HELP / # TYPE) or a sample `name{label="value",…} number`.

/** One sample. */
export interface Sample {
  /** The metric name (with `_bucket`, `_sum`, `_count` suffixes for histograms). */
  name: string;
  /** The labels. */
  labels: Record<string, string>;
  /** The value. */
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;

/** Parses the text; throws naming the first line that is not valid. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '' || COMMENT.test(line)) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`line ${i + 1} is not a Prometheus sample: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const labelText = match[2] ?? '';
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let label = LABEL.exec(labelText); label !== null; label = LABEL.exec(labelText)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_all, c: string) =>
        c === 'n' ? '\n' : c,
      );
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length)
      throw new Error(`line ${i + 1} has malformed labels: ${JSON.stringify(line)}`);
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes `Nan`).
    const raw = (match[3] as string).toLowerCase();
    const special: Record<string, number> = {
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      '+inf': Number.POSITIVE_INFINITY,
      '-inf': Number.NEGATIVE_INFINITY,
    };
    const value = Object.hasOwn(special, raw) ? (special[raw] as number) : Number(raw);
    if (Number.isNaN(value) && raw !== 'nan')
      throw new Error(`line ${i + 1} has a bad value: ${JSON.stringify(line)}`);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}
