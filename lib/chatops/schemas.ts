// What a slash command sends (POST /v1/chatops/slack) and the immediate answer it gets.
// What the OpenAPI document says of these fields is in lib/api/openapi-docs.ts (build time only): a field added here fails typecheck until it is described there.
import * as z from '../zod.js';

/** The form fields Slack and Mattermost send with a slash command (application/x-www-form-urlencoded). */
export const slashCommandForm = z.looseObject({
  command: z.string(),
  text: z.string(),
  team_id: z.string(),
  user_id: z.string(),
  user_name: z.optional(z.string()),
  channel_id: z.optional(z.string()),
  response_url: z.optional(z.string()),
  trigger_id: z.optional(z.string()),
  token: z.optional(z.string()),
});
export type SlashCommandForm = z.infer<typeof slashCommandForm>;

export const slashCommandReply = z.object({
  response_type: z.enum(['ephemeral', 'in_channel']),
  text: z.string(),
});
export type SlashCommandReply = z.infer<typeof slashCommandReply>;
