/**
 * The option table (OPTION_SPECS) drives every format that carries task options: for each spec,
 * TaskOptions, the `asynq enqueue` flags, JSON Lines, the YAML periodic file and Go option
 * strings accept the option under the name the table gives it, and no other name. Adding a spec
 * is all it takes for an option to pass here; a format with its own list of options fails here.
 */
import {Parser} from '@oclif/core';
import {describe, expect, it} from 'vitest';
import {taskOptionsFromJson} from '../../src/cli/enqueue/jsonl.js';
import {
  taskOptionFlagConflicts,
  taskOptionFlags,
  taskOptionsFromFlags,
  type TaskOptionFlagValues,
} from '../../src/cli/task-flags.js';
import {ValidationError} from '../../src/lib/errors.js';
import {
  OPTION_CONFLICTS,
  OPTION_ENTRIES,
  OPTION_KEYS,
  validateOption,
  type OptionKey,
  type OptionKind,
  type OptionSpec,
} from '../../src/lib/option-specs.js';
import {
  GO_DISPLAYED_OPTIONS,
  optionStrings,
  parsedOptionsToTaskOptions,
  parseOptionString,
} from '../../src/lib/option-strings.js';
import {composeOptions} from '../../src/lib/options.js';
import type {TaskOptions} from '../../src/lib/task.js';
import {parsePeriodicTaskConfigs} from '../../src/lib/yaml-config-provider.js';

/** A valid value of each kind as each format writes it (`flag`: the values of one flag, given once each). */
const SAMPLES: Record<OptionKind, {value: unknown; json: unknown; yaml: string; flag: string[]}> = {
  string: {value: 'abc', json: 'abc', yaml: 'abc', flag: ['abc']},
  int: {value: 3, json: 3, yaml: '3', flag: ['3']},
  duration: {value: '90s', json: '90s', yaml: '90s', flag: ['90s']},
  time: {
    value: new Date('2030-01-02T03:04:05Z'),
    json: '2030-01-02T03:04:05Z',
    yaml: '2030-01-02T03:04:05+00:00',
    flag: ['2030-01-02T03:04:05Z'],
  },
  headers: {value: {a: '1', b: 'x=y'}, json: {a: '1', b: 'x=y'}, yaml: '{a: "1", b: "x=y"}', flag: ['a=1', 'b=x=y']},
};

const NOW = new Date('2026-01-01T00:00:00Z');
const sample = (spec: OptionSpec) => SAMPLES[spec.kind];
/** The value in validateOption's canonical form, so that '90s' and 90000 compare equal. */
const canonical = (key: OptionKey, v: unknown): unknown => validateOption(key, v);

/** The exactly-one-key options object a format produced for `key`, in canonical form. */
function expectOnly(opts: TaskOptions, key: OptionKey, spec: OptionSpec): void {
  expect(Object.keys(opts)).toEqual([key]);
  expect(canonical(key, opts[key])).toEqual(canonical(key, sample(spec).value));
}

/** What a format accepts, listed from the table. */
const names = {
  flags: OPTION_ENTRIES.map(([, s]) => s.flag.name),
  json: [...new Set(OPTION_ENTRIES.flatMap(([k, s]) => [k, s.snake]))],
  yaml: OPTION_ENTRIES.filter(([, s]) => s.periodic !== false).map(([, s]) => s.snake),
  go: OPTION_ENTRIES.map(([, s]) => s.go),
};

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('the option table', () => {
  it('has a sample for every kind and distinct names within every format', () => {
    for (const [, spec] of OPTION_ENTRIES) expect(SAMPLES[spec.kind]).toBeDefined();
    for (const list of Object.values(names)) expect(new Set(list).size).toBe(list.length);
  });
});

describe.each(OPTION_ENTRIES)('option %s', (key, spec) => {
  it('is a TaskOptions field that composeOptions takes', () => {
    expect(() => composeOptions([{[key]: sample(spec).value}], NOW)).not.toThrow();
  });

  it(`is the flag --${spec.flag.name}`, async () => {
    const {flags} = await Parser.parse(
      sample(spec).flag.flatMap((v) => [`--${spec.flag.name}`, v]),
      {flags: taskOptionFlags, strict: true},
    );
    expectOnly(taskOptionsFromFlags(flags as TaskOptionFlagValues), key, spec);
  });

  it.each([...new Set([key, spec.snake])])('is the JSON Lines option "%s"', (name) => {
    expectOnly(taskOptionsFromJson({[name]: sample(spec).json}), key, spec);
  });

  it(
    spec.periodic === false ? `is not in the YAML periodic file (${spec.snake})` : `is the YAML option ${spec.snake}`,
    () => {
      const yaml = `configs:\n  - cronspec: "@daily"\n    task_type: t\n    options:\n      ${spec.snake}: ${sample(spec).yaml}\n`;
      if (spec.periodic === false) {
        expect(errorOf(() => parsePeriodicTaskConfigs(yaml))).toContain(`unknown option key "${spec.snake}"`);
        return;
      }
      expectOnly(parsePeriodicTaskConfigs(yaml)[0]!.opts!, key, spec);
    },
  );

  it(`is the Go option string ${spec.go}(…), shown by Go tools: ${spec.goShown}`, () => {
    const strings = optionStrings({[key]: sample(spec).value});
    expect(strings.length).toBeGreaterThan(0);
    for (const s of strings) expect(s.startsWith(`${spec.go}(`)).toBe(true);
    const parsed = strings.map(parseOptionString);
    expect(parsed.map((p) => p.type)).toEqual(strings.map(() => spec.go));
    expectOnly(parsedOptionsToTaskOptions(parsed), key, spec);
    expect(GO_DISPLAYED_OPTIONS.has(spec.go as never)).toBe(spec.goShown);
  });
});

describe('no format takes a name the table does not give', () => {
  it('flags: exactly one per option', async () => {
    expect(Object.keys(taskOptionFlags).sort()).toEqual([...names.flags].sort());
    await expect(Parser.parse(['--priority', '1'], {flags: taskOptionFlags, strict: true})).rejects.toThrow(/priority/);
  });

  it('TaskOptions: exactly the keys of the table', () => {
    expect(errorOf(() => composeOptions([{priority: 1} as TaskOptions], NOW))).toBe('unknown task option "priority"');
    expect(OPTION_KEYS).toEqual(OPTION_ENTRIES.map(([k]) => k));
  });

  it('JSON Lines: the keys and their snake_case names, listed in the error', () => {
    const msg = errorOf(() => taskOptionsFromJson({priority: 1}));
    expect(/\(known: (.*)\)$/.exec(msg)![1]!.split(', ')).toEqual(names.json);
  });

  it('YAML: the snake_case names of the periodic options, listed in the error', () => {
    const msg = errorOf(() =>
      parsePeriodicTaskConfigs('configs:\n  - {cronspec: "@daily", task_type: t, options: {priority: 1}}\n'),
    );
    expect(/\(expected one of (.*)\)$/.exec(msg)![1]!.split(', ')).toEqual(names.yaml);
  });

  it('Go option strings: the Go names', () => {
    expect(errorOf(() => parseOptionString('Priority(1)'))).toContain('unknown option "Priority"');
    expect(errorOf(() => optionStrings({priority: 1} as TaskOptions))).toBe('unknown task option "priority"');
  });
});

describe.each(OPTION_CONFLICTS)('%s and %s set the same thing', (a, b) => {
  const both = {
    [a]: SAMPLES[OPTION_ENTRIES.find(([k]) => k === a)![1].kind].value,
    [b]: SAMPLES[OPTION_ENTRIES.find(([k]) => k === b)![1].kind].value,
  };

  it('every format refuses both at once', () => {
    expect(errorOf(() => composeOptions([both], NOW))).toContain('cannot be combined');
    const json = Object.fromEntries(
      Object.keys(both).map((k) => [k, SAMPLES[OPTION_ENTRIES.find(([x]) => x === k)![1].kind].json]),
    );
    expect(errorOf(() => taskOptionsFromJson(json))).toContain('cannot be combined');
    const flag = (k: string) => OPTION_ENTRIES.find(([x]) => x === k)![1].flag.name;
    expect(taskOptionFlagConflicts).toContainEqual([flag(b), flag(a)]);
  });
});
