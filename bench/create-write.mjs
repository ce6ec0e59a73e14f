// What the store benchmarks commit: one Group.CallbackAfterCreateTopic as the store receives it (the
// callback as received, and its effect), with a TopicId of its own each time.
const query = {
  SdkAppid: '1400000000',
  CallbackCommand: 'Group.CallbackAfterCreateTopic',
  contenttype: 'json',
  ClientIP: '127.0.0.1',
  OptPlatform: 'RESTAPI',
  RequestTime: '1700000000',
}
let next = 0

/** The next create: `{ callback, effect }`, the shape `store.record` and the batch writer take. */
export function createWrite() {
  const TopicId = `@TGS#_@TGS#bench@TOPIC#_${next++}`
  const topic = {
    GroupId: '@TGS#bench',
    TopicId,
    Name: 'bench',
    Type: 'Community',
    Owner_Account: 'leckie',
    Operator_Account: 'group_root',
    UserDefinedDataList: [{ Key: 'k', Value: 'v' }],
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
  }
  const body = new TextEncoder().encode(JSON.stringify({ CallbackCommand: query.CallbackCommand, ...topic }))
  return {
    callback: { receivedAt: Date.now(), command: query.CallbackCommand, query, body },
    effect: { kind: 'createTopic', topic },
  }
}
