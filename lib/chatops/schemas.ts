// What a slash command sends (POST /v1/chatops/slack) and the immediate answer it gets.
import * as z from 'zod';

/** The form fields Slack and Mattermost send with a slash command (application/x-www-form-urlencoded). */
export const slashCommandForm = z
  .looseObject({
    command: z.string().describe('the slash command, e.g. /ims'),
    text: z.string().describe('what followed the command: export, import, capture, status, list or help with their arguments'),
    team_id: z.string().describe('workspace (Slack) or team (Mattermost); mapped to a tenant in configuration'),
    user_id: z.string().describe('who ran the command'),
    user_name: z.string().optional().describe('their display name'),
    channel_id: z.string().optional().describe('where it was run'),
    response_url: z.string().optional().describe('where the outcome is posted later'),
    trigger_id: z.string().optional().describe('Slack interaction trigger'),
    token: z.string().optional().describe('Mattermost verification token (Slack requests are signed instead)'),
  })
  .describe('slash command form body; further fields the platform sends are ignored');
export type SlashCommandForm = z.infer<typeof slashCommandForm>;

export const slashCommandReply = z
  .object({
    response_type: z.enum(['ephemeral', 'in_channel']).describe('who sees the reply'),
    text: z.string().describe('the reply, in Slack/Mattermost markdown'),
  })
  .describe('immediate answer to a slash command');
export type SlashCommandReply = z.infer<typeof slashCommandReply>;
