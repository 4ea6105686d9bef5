// The schemas of the chat messages we send, with the platforms' documented limits: the tests hold
// every message lib/chatops/messages.ts builds to them. Typecheck ties each schema to its type there.
import * as z from '../../lib/zod.js';
import { BLOCK_LIMITS, type MattermostMessage, type SlackBlock, type SlackMessage } from '../../lib/chatops/messages.js';

const plainText = (max: number) =>
  z.strictObject({ type: z.literal('plain_text'), text: z.string().check(z.minLength(1), z.maxLength(max)), emoji: z.optional(z.boolean()) });
const mrkdwn = (max: number) => z.strictObject({ type: z.literal('mrkdwn'), text: z.string().check(z.minLength(1), z.maxLength(max)) });

const headerBlock = z.strictObject({ type: z.literal('header'), text: plainText(BLOCK_LIMITS.headerText) });
const sectionBlock = z.strictObject({
  type: z.literal('section'),
  text: z.optional(z.union([plainText(BLOCK_LIMITS.sectionText), mrkdwn(BLOCK_LIMITS.sectionText)])),
  fields: z.optional(
    z.array(z.union([plainText(BLOCK_LIMITS.fieldText), mrkdwn(BLOCK_LIMITS.fieldText)])).check(z.minLength(1), z.maxLength(BLOCK_LIMITS.sectionFields)),
  ),
}).check(
  z.refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields'),
);
const contextBlock = z.strictObject({
  type: z.literal('context'),
  elements: z.array(z.union([plainText(BLOCK_LIMITS.contextText), mrkdwn(BLOCK_LIMITS.contextText)])).check(z.minLength(1), z.maxLength(BLOCK_LIMITS.contextElements)),
});
const dividerBlock = z.strictObject({ type: z.literal('divider') });
const slackBlock = z.discriminatedUnion('type', [headerBlock, sectionBlock, contextBlock, dividerBlock]);

const responseType = z.enum(['ephemeral', 'in_channel']);

/** A Slack message: a slash-command reply, a response_url post or an incoming-webhook post. */
export const slackMessage = z.strictObject({
  response_type: z.optional(responseType),
  text: z.string().check(z.minLength(1)),
  blocks: z.array(slackBlock).check(z.maxLength(BLOCK_LIMITS.blocks)),
});

const mattermostAttachment = z.strictObject({
  fallback: z.string(),
  color: z.string(),
  title: z.optional(z.string()),
  text: z.optional(z.string()),
  fields: z.optional(z.array(z.strictObject({ title: z.string(), value: z.string(), short: z.boolean() }))),
  footer: z.optional(z.string()),
});
export const mattermostMessage = z.strictObject({
  response_type: z.optional(responseType),
  text: z.string().check(z.minLength(1)),
  attachments: z.optional(z.array(mattermostAttachment)),
});

// Each schema describes exactly the type the builders are written against, both ways.
const sameBlock: z.Same<z.infer<typeof slackBlock>, SlackBlock> = true;
const sameSlack: z.Same<z.infer<typeof slackMessage>, SlackMessage> = true;
const sameMattermost: z.Same<z.infer<typeof mattermostMessage>, MattermostMessage> = true;
void [sameBlock, sameSlack, sameMattermost];
