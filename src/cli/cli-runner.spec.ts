import { parseFlags } from './cli-runner';

describe('parseFlags', () => {
  it('should read `--name value`, `--name=value` and bare boolean flags', () => {
    expect(parseFlags(['--id', 't1', '--json={"a":1}', '--replace'])).toEqual({
      values: { id: 't1', json: '{"a":1}', replace: true },
      positionals: [],
    });
    expect(parseFlags(['out.json', '--blank'])).toEqual({ values: { blank: true }, positionals: ['out.json'] });
    expect(parseFlags(['--replace', '--id', 't1'])).toEqual({ values: { replace: true, id: 't1' }, positionals: [] });
  });
});
