import type { CiStatus } from '../../src/event/ci-event-schema';

/** How a status looks in Slack: an emoji for the text, a colour for the attachment's side bar. */
export interface StatusStyle {
  emoji: string;
  /** Hex colour of the attachment bar. */
  color: string;
}

/** Emoji and colour per status (Slack's brand green/red/yellow/blue, grey for "nothing to see"). */
export const statusStyles: Record<CiStatus, StatusStyle> = {
  success: { emoji: ':white_check_mark:', color: '#2EB67D' },
  failure: { emoji: ':x:', color: '#E01E5A' },
  error: { emoji: ':warning:', color: '#ECB22E' },
  cancelled: { emoji: ':no_entry_sign:', color: '#616061' },
  skipped: { emoji: ':fast_forward:', color: '#A0A0A0' },
  running: { emoji: ':hourglass_flowing_sand:', color: '#36C5F0' },
  queued: { emoji: ':hourglass_flowing_sand:', color: '#36C5F0' },
  waiting: { emoji: ':hourglass_flowing_sand:', color: '#36C5F0' },
};
