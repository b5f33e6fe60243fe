import { canRevise, feedbackLoop, startsLoop, withoutAgents } from '../../../mas/loops';
import { out, tmpl } from './fixtures';

// P → W → R → F, and W → S (a side branch that F does not read). R reviews W.
const t = tmpl(['P', 'W', 'R', 'F', 'S'], ['P>W', 'W>R', 'R>F', 'W>S'], 'F', [{ from: 'R', to: 'W', maxRounds: 2 }]);

test('startsLoop: only a loop sender’s verdict matters to a loop', () => {
  expect(startsLoop(t, 'R')).toBe(true);
  expect(startsLoop(t, 'W')).toBe(false);
});

describe('feedbackLoop', () => {
  test('a REVISE answer sends the target and its descendants back, and counts the round', () => {
    const r = feedbackLoop(t, 'R', 'REVISE', {});
    expect(r.target).toBe('W');
    expect([...r.invalidated].sort()).toEqual(['F', 'R', 'S', 'W']);
    expect(r.invalidated[0]).toBe('W');
    expect(r.invalidated).not.toContain('P');
    expect(r.rounds).toEqual({ W: 1 });
  });

  test('fires up to maxRounds times, then stops', () => {
    let rounds: Record<string, number> = {};
    const targets: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = feedbackLoop(t, 'R', 'REVISE', rounds);
      targets.push(r.target);
      rounds = r.rounds;
    }
    expect(targets).toEqual(['W', 'W', null, null]);
    expect(rounds).toEqual({ W: 2 });
  });

  test('when it stops, nothing is invalidated and rounds are returned unchanged', () => {
    const rounds = { W: 2 };
    const r = feedbackLoop(t, 'R', 'REVISE', rounds);
    expect(r).toEqual({ target: null, invalidated: [], rounds: { W: 2 } });
  });

  test('does not mutate the rounds it is given', () => {
    const rounds = { W: 1, other: 3 };
    const r = feedbackLoop(t, 'R', 'REVISE', rounds);
    expect(rounds).toEqual({ W: 1, other: 3 });
    expect(r.rounds).toEqual({ W: 2, other: 3 });
  });

  test('no REVISE verdict, or an agent without a loop, fires nothing', () => {
    expect(feedbackLoop(t, 'R', 'PASS', {}).target).toBeNull();
    expect(feedbackLoop(t, 'R', null, {}).target).toBeNull();
    expect(feedbackLoop(t, 'F', 'REVISE', {}).target).toBeNull();
    expect(feedbackLoop(t, 'W', 'REVISE', {}).invalidated).toEqual([]);
  });
});

describe('withoutAgents', () => {
  test('drops just the listed outputs', () => {
    const outputs = { P: out('p', 'k1'), W: out('w', 'k2'), R: out('r', 'k3') };
    const rest = withoutAgents(outputs, ['W', 'R', 'nobody']);
    expect(Object.keys(rest)).toEqual(['P']);
    expect(rest.P).toBe(outputs.P);
    expect(Object.keys(outputs)).toEqual(['P', 'W', 'R']);
  });
});

test('canRevise: a loop sender with a round left; not once its rounds are spent, not for other agents', () => {
  expect(canRevise(t, 'R', {})).toBe(true);
  expect(canRevise(t, 'R', { W: 1 })).toBe(true);
  expect(canRevise(t, 'R', { W: 2 })).toBe(false);
  expect(canRevise(t, 'W', {})).toBe(false);
  // canRevise says exactly when feedbackLoop would send work back.
  for (const rounds of [{}, { W: 1 }, { W: 2 }] as Record<string, number>[]) expect(canRevise(t, 'R', rounds)).toBe(feedbackLoop(t, 'R', 'REVISE', rounds).target !== null);
});
