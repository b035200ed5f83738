#!/usr/bin/env python3
"""Checks a Prometheus text exposition (format 0.0.4) read from stdin against the format's rules: sample line
grammar, metric and label name syntax and escapes, HELP/TYPE once per family and before its samples, families not
split, no duplicate series, counters >= 0, histogram buckets cumulative with +Inf equal to _count and a _sum.
Prints each violation and exits 1 if there was any. Usage: check-exposition.py < metrics.txt"""
import math, re, sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?[0-9]+)?$')
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(?:,|$)')

def number(text):
    return {'+Inf': math.inf, '-Inf': -math.inf, 'NaN': math.nan}.get(text) if text in ('+Inf', '-Inf', 'NaN') else float(text)

def main():
    text = sys.stdin.read()
    errors, types, helps, seen, closed, sampled = [], {}, set(), set(), set(), set()
    buckets, counts, sums, current = {}, {}, set(), None
    if text and not text.endswith('\n'):
        errors.append('no final line feed')
    for n, line in enumerate(text.rstrip('\n').split('\n'), 1):
        if not line:
            continue
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                fam = parts[2]
                if fam in closed or fam in sampled:
                    errors.append(f'line {n}: {parts[1]} for {fam} after its samples')
                if parts[1] == 'TYPE':
                    if fam in types:
                        errors.append(f'line {n}: second TYPE for {fam}')
                    types[fam] = parts[3] if len(parts) > 3 else ''
                    if types[fam] not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                        errors.append(f'line {n}: unknown type {types[fam]!r}')
                elif fam in helps:
                    errors.append(f'line {n}: second HELP for {fam}')
                else:
                    helps.add(fam)
                if current not in (None, fam):
                    closed.add(current)
                current = fam
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(f'line {n}: not a sample: {line}')
            continue
        name, label_text, value_text = m.groups()
        fam = name
        for suffix in ('_bucket', '_count', '_sum'):
            if name.endswith(suffix) and types.get(name[:-len(suffix)]) in ('histogram', 'summary'):
                fam = name[:-len(suffix)]
        if fam in closed:
            errors.append(f'line {n}: family {fam} is split')
        if current not in (None, fam):
            closed.add(current)
        current = fam
        sampled.add(fam)
        labels, at = {}, 0
        while label_text and at < len(label_text):
            p = PAIR.match(label_text, at)
            if not p:
                errors.append(f'line {n}: bad labels {label_text!r}')
                break
            if p.group(1).startswith('__') or p.group(1) in labels:
                errors.append(f'line {n}: reserved or repeated label {p.group(1)}')
            labels[p.group(1)] = p.group(2)
            at = p.end()
        try:
            value = number(value_text)
        except ValueError:
            errors.append(f'line {n}: bad value {value_text!r}')
            continue
        series = (name, tuple(sorted(labels.items())))
        if series in seen:
            errors.append(f'line {n}: duplicate series {series}')
        seen.add(series)
        kind = types.get(fam, 'untyped')
        if kind == 'counter' and not value >= 0:
            errors.append(f'line {n}: counter {name} is {value_text}')
        if kind == 'histogram':
            key = (fam, tuple(sorted((k, v) for k, v in labels.items() if k != 'le')))
            if name == fam + '_bucket':
                buckets.setdefault(key, []).append((number(labels.get('le', 'NaN')), value))
            elif name == fam + '_count':
                counts[key] = value
            elif name == fam + '_sum':
                sums.add(key)
    for key, items in buckets.items():
        if any(b[0] <= a[0] or b[1] < a[1] for a, b in zip(items, items[1:])):
            errors.append(f'{key}: buckets not ascending and cumulative')
        if not items or items[-1][0] != math.inf or counts.get(key) != items[-1][1]:
            errors.append(f'{key}: +Inf bucket missing or not equal to _count')
        if key not in sums:
            errors.append(f'{key}: no _sum')
    for e in errors:
        print(e)
    print(f'{len(seen)} series in {len(types)} families, {len(errors)} violations')
    return 1 if errors else 0

if __name__ == '__main__':
    sys.exit(main())
