/** One task-size rule for every entry point, and payloads Temporal would refuse are refused before they are sent. */
import { MAX_TASK_CHARS, PoolSchema, TaskInputSchema } from '../../../mas/schemas';
import { CtoInputSchema, CtoTaskLineSchema } from '../../../mas/ctoSchemas';
import { SIMULATOR_POOL } from '../../../mas/simulatorPool';
import { checkTask } from '../../../client/inputs';
import { checkPayload, MAX_PAYLOAD_BYTES } from '../../../client/payload';

const long = 'x'.repeat(MAX_TASK_CHARS + 1);

test('the CLI, the library/eval input schema and the CTO line and input schemas refuse the same over-long task', () => {
  expect(() => checkTask(long)).toThrow(`the task is ${MAX_TASK_CHARS + 1} characters; keep it under ${MAX_TASK_CHARS}`);
  const run = TaskInputSchema.safeParse({ task: long, budgetUsd: 1, pool: SIMULATOR_POOL });
  expect(run.success).toBe(false);
  expect(run.error!.issues[0].message).toMatch(/keep it under 20000/);
  expect(CtoTaskLineSchema.safeParse({ id: 'q', task: long, evaluator: 'exact', expected: '1' }).success).toBe(false);
  expect(CtoInputSchema.safeParse({ queryId: 'q', task: long }).error!.issues.some((i) => /keep it under/.test(i.message))).toBe(true);
  expect(checkTask(`  ${'y'.repeat(MAX_TASK_CHARS)}  `)).toHaveLength(MAX_TASK_CHARS);
  expect(() => checkTask('   ')).toThrow(/the task is empty/);
});

test('a start whose input is over the payload limit is refused in one line naming the largest part', () => {
  const pool = PoolSchema.parse({ ...SIMULATOR_POOL, note: 'n'.repeat(MAX_PAYLOAD_BYTES) });
  const input = TaskInputSchema.parse({ task: 'small', budgetUsd: 1, pool });
  let message = '';
  try {
    checkPayload('the run input', [input]);
  } catch (e) {
    message = (e as Error).message;
    expect((e as Error).name).toBe('UserError');
  }
  expect(message).toMatch(/^the run input is 2\.0 MiB as JSON \(largest part: pool, 2\.0 MiB\); Temporal refuses a payload over 2\.0 MiB$/);
  expect(() => checkPayload('the run input', [TaskInputSchema.parse({ task: 'small', budgetUsd: 1, pool: SIMULATOR_POOL })])).not.toThrow();
});
