import { Injectable } from '@nestjs/common';

/** In-process counters and gauges rendered in Prometheus text format by /metrics. */
@Injectable()
export class HttpMetrics {
  private readonly counters = new Map<string, number>();
  private readonly help = new Map<string, string>();
  private readonly gauges = new Set<string>();

  inc(name: string, labels: Record<string, string | number> = {}, by = 1, help = ''): void {
    const key = `${name}${fmtLabels(labels)}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
    if (help && !this.help.has(name)) this.help.set(name, help);
  }

  /** A gauge: the value replaces the previous one for these labels. */
  set(name: string, labels: Record<string, string | number>, value: number, help = ''): void {
    this.counters.set(`${name}${fmtLabels(labels)}`, value);
    this.gauges.add(name);
    if (help && !this.help.has(name)) this.help.set(name, help);
  }

  render(): string {
    const byName = new Map<string, string[]>();
    for (const [key, v] of this.counters) {
      const name = key.split('{')[0];
      const lines = byName.get(name) ?? [];
      lines.push(`${key} ${v}`);
      byName.set(name, lines);
    }
    let out = '';
    for (const [name, lines] of byName) {
      out += `# HELP ${name} ${this.help.get(name) ?? name}\n# TYPE ${name} ${this.gauges.has(name) ? 'gauge' : 'counter'}\n${lines.join('\n')}\n`;
    }
    return out;
  }
}

export function fmtLabels(labels: Record<string, string | number>): string {
  const entries = Object.entries(labels);
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}
