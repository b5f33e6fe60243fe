/** The bench's maxPayloadBytes finds the largest payload wherever an event carries it. */
import { temporal } from '@temporalio/proto';
import { eventPayloads, maxPayload } from '../../bench/history';

const payload = (n: number) => ({ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new Uint8Array(n) });
const T = temporal.api.enums.v1.EventType;

test('payloads in inputs, results, failure details and memos are all measured; the largest wins', () => {
  const events = [
    { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflowExecutionStartedEventAttributes: { input: { payloads: [payload(100), payload(300)] }, memo: { fields: { task: payload(50) } } } },
    { eventType: T.EVENT_TYPE_ACTIVITY_TASK_FAILED, activityTaskFailedEventAttributes: { failure: { message: 'x', applicationFailureInfo: { details: { payloads: [payload(5000)] } } } } },
    { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, workflowExecutionCompletedEventAttributes: { result: { payloads: [payload(1200)] } } },
  ];
  expect(eventPayloads(events[0]).map((p) => p.data!.length)).toEqual([100, 300, 50]);
  const max = maxPayload(events);
  expect(max.eventType).toBe('ACTIVITY_TASK_FAILED');
  // Serialized size: the data plus its metadata and framing.
  expect(max.bytes).toBe(temporal.api.common.v1.Payload.encode(payload(5000)).finish().length);
  expect(max.bytes).toBeGreaterThan(5000);
  expect(maxPayload([])).toEqual({ bytes: 0, eventType: '' });
});
