import assert from 'node:assert/strict';
import { interpolateTree, substitute } from '../../../../src/manifests/compose/interpolate.js';
import { parseDotenv } from '../../../../src/manifests/compose/dotenv.js';

const variables: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', NAME: 'web' };
const lookup = (name: string) => variables[name];

describe('Compose interpolation', () => {
  // The cases of compose-go's template tests, and the Compose Specification's table.
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['a${SET}b', 'avalueb'],
    ['$SET_suffix', ''],
    ['${UNSET}', ''],
    ['${SET:-default}', 'value'],
    ['${EMPTY:-default}', 'default'],
    ['${UNSET:-default}', 'default'],
    ['${SET-default}', 'value'],
    ['${EMPTY-default}', ''],
    ['${UNSET-default}', 'default'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${SET+alt}', 'alt'],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?needed}', 'value'],
    ['${EMPTY?needed}', ''],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['cost: $$5', 'cost: $5'],
    ['${UNSET:-${NAME}}', 'web'],
    ['${UNSET:-${OTHER:-deep}}', 'deep'],
    ['${UNSET:-$NAME-x}', 'web-x'],
    ['${UNSET:-a}:${PORT}', 'a:8080'],
    ['${UNSET:-{braces}}', '{braces}'],
    ['${set}', ''],
    ['${UNSET:-}', ''],
  ];
  for (const [template, expected] of cases) {
    it(`${template} → ${JSON.stringify(expected)}`, () => assert.equal(substitute(template, lookup), expected));
  }

  const errors: [string, RegExp][] = [
    ['${UNSET:?the port is needed}', /required variable UNSET is missing a value: the port is needed$/],
    ['${EMPTY:?empty is not enough}', /required variable EMPTY is missing a value: empty is not enough$/],
    ['${UNSET?gone}', /required variable UNSET is missing a value: gone$/],
    ['${UNSET:?${NAME} needs it}', /missing a value: web needs it$/],
    ['price $5', /invalid interpolation format in "price \$5"/],
    ['${unclosed', /invalid interpolation format/],
    ['${}', /invalid interpolation format/],
    ['${SET:x}', /invalid interpolation format/],
    ['${SET/a/b}', /invalid interpolation format/],
    ['trailing $', /invalid interpolation format/],
  ];
  for (const [template, expected] of errors) {
    it(`refuses ${template}`, () => assert.throws(() => substitute(template, lookup), expected));
  }

  it('substitutes values only, never keys, and reports each problem at its path', () => {
    const problems: unknown[] = [];
    const value = interpolateTree({ services: { $SET: { image: 'x:${SET}', ports: ['${PORT}:80', '${UNSET:?port}'] } } }, lookup, (path, message) => problems.push([path, message]));
    assert.deepEqual(value, { services: { $SET: { image: 'x:value', ports: ['8080:80', '${UNSET:?port}'] } } });
    assert.deepEqual(problems, [[['services', '$SET', 'ports', 1], 'required variable UNSET is missing a value: port']]);
  });
});

describe('.env', () => {
  it('reads KEY=VALUE lines, quotes, comments and export, the environment winning', () => {
    const text = [
      '# a comment',
      'PLAIN=one',
      'export EXPORTED=two',
      "SINGLE='$PLAIN not substituted'",
      'DOUBLE="line\\nnext ${PLAIN}"',
      'SPACED = padded   # comment',
      'REFER=${PLAIN}-${SET}',
      'SET=from-file',
      'EMPTY=',
      '',
    ].join('\n');
    const { variables: found, problems } = parseDotenv(text, lookup);
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.fromEntries(found), {
      PLAIN: 'one',
      EXPORTED: 'two',
      SINGLE: '$PLAIN not substituted',
      DOUBLE: 'line\nnext one',
      SPACED: 'padded',
      REFER: 'one-value',
      SET: 'from-file',
      EMPTY: '',
    });
  });

  it('reports the lines it cannot read with their line and column', () => {
    const { problems } = parseDotenv('GOOD=1\nnot a line\nBAD="open\nREQ=${MISSING:?set it}\n', lookup);
    assert.deepEqual(problems, [
      { line: 2, column: 1, message: 'expected KEY=VALUE, got "not a line"' },
      { line: 3, column: 5, message: 'BAD: expected a closing "' },
      { line: 4, column: 5, message: 'REQ: required variable MISSING is missing a value: set it' },
    ]);
  });
});
