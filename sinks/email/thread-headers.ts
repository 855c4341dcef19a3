import type { CiEvent } from '../../src/event/ci-event-schema';
import { mailboxOf } from './addresses';
import { runDigest } from '../../src/event/run-identity';

/** Threading headers of one mail about a run. */
export interface ThreadHeaders {
  /** `<notification-id@domain>`: the same on every retry of the notification. */
  messageId: string;
  /** The run's root id, `<run.<hash>@domain>`. */
  inReplyTo: string;
  references: string;
  /** Outlook's conversation headers, stable per run (see {@link threadHeaders}). */
  headers: { 'Thread-Topic': string; 'Thread-Index': string };
}

/**
 * The right-hand side of the Message-IDs a sink mints: the domain of its `from` address, so ids are
 * unique to the sender (RFC 5322 3.6.4), else `ci-relay`.
 */
export function messageIdDomain(from: string): string {
  const domain = mailboxOf(from)?.split('@')[1]?.toLowerCase();
  return domain !== undefined && /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(domain) ? domain : 'ci-relay';
}

/** Characters an id-left may not hold (RFC 5322 dot-atom-text) replaced by `-`. */
const idLeft = (text: string) => text.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-');

/** The id every mail about one run refers to. */
export function runThreadId(event: CiEvent, domain: string): string {
  return `<run.${runDigest(event).toString('hex').slice(0, 32)}@${domain}>`;
}

/**
 * Outlook's `Thread-Index`: a 22-byte conversation header (a reserved 0x01, the 5 high bytes of a
 * FILETIME, a 16-byte GUID), base64. Outlook and Exchange derive the conversation from the GUID alone
 * (MS-OXOMSG 2.2.1.3), so a GUID fixed per run groups the run's mails whatever their subjects.
 * https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/tracking-conversations
 */
function threadIndex(event: CiEvent, digest: Buffer): string {
  const ms = Date.parse(event.createdAt ?? event.startedAt ?? event.receivedAt);
  const filetime = (BigInt(Number.isNaN(ms) ? 0 : ms) + 11_644_473_600_000n) * 10_000n;
  const header = Buffer.alloc(22);
  header[0] = 0x01;
  header.writeUIntBE(Number((filetime >> 24n) & 0xff_ffff_ffffn), 1, 5);
  digest.copy(header, 6, 0, 16);
  return header.toString('base64');
}

/**
 * Headers that thread every mail about one run together; with `streak` (the run that started a
 * series' failing streak), mails of later runs of that streak, and the one that fixes it, join the
 * streak's thread (References names both roots). Each mail's Message-ID is minted from the
 * notification id, so a retried send is the same message to the reader's client; In-Reply-To and
 * References name one root id per run. That root is never sent itself: Thunderbird, Apple Mail and
 * Gmail thread mails that share a parent they never saw, and the sink needs no state to know which
 * mail came first. Gmail also wants the subjects to match; Outlook goes by Thread-Index.
 */
export function threadHeaders(
  notificationId: string,
  event: CiEvent,
  domain: string,
  streak: CiEvent = event,
): ThreadHeaders {
  const digest = runDigest(streak);
  const root = runThreadId(streak, domain);
  const ownRoot = runThreadId(event, domain);
  const number = streak.pipeline.number !== undefined ? ` #${streak.pipeline.number}` : '';
  return {
    messageId: `<${idLeft(notificationId)}@${domain}>`,
    inReplyTo: root,
    references: ownRoot === root ? root : `${root} ${ownRoot}`,
    headers: {
      'Thread-Topic': `[${streak.repository.name}] ${streak.pipeline.name}${number}`,
      'Thread-Index': threadIndex(streak, digest),
    },
  };
}
