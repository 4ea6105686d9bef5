// What a slash command sends (POST /v1/chatops/slack) and the immediate answer it gets.
import * as z from '../zod.js';
import { documented } from '../zod.js';

/** The form fields Slack and Mattermost send with a slash command (application/x-www-form-urlencoded). */
export const slashCommandForm = documented(z.looseObject({
  command: documented(z.string(), 'the slash command, e.g. /ims'),
  text: documented(z.string(), 'what followed the command: export, import, capture, status, list or help with their arguments'),
  team_id: documented(z.string(), 'workspace (Slack) or team (Mattermost); mapped to a tenant in configuration'),
  user_id: documented(z.string(), 'who ran the command'),
  user_name: documented(z.optional(z.string()), 'their display name'),
  channel_id: documented(z.optional(z.string()), 'where it was run'),
  response_url: documented(z.optional(z.string()), 'where the outcome is posted later'),
  trigger_id: documented(z.optional(z.string()), 'Slack interaction trigger'),
  token: documented(z.optional(z.string()), 'Mattermost verification token (Slack requests are signed instead)'),
}), 'slash command form body; further fields the platform sends are ignored');
export type SlashCommandForm = z.infer<typeof slashCommandForm>;

export const slashCommandReply = documented(z.object({
  response_type: documented(z.enum(['ephemeral', 'in_channel']), 'who sees the reply'),
  text: documented(z.string(), 'the reply, in Slack/Mattermost markdown'),
}), 'immediate answer to a slash command');
export type SlashCommandReply = z.infer<typeof slashCommandReply>;
