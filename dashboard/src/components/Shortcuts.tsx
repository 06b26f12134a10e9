// Keyboard shortcuts of the control room (issue 14: what PagerDuty-style consoles offer): move
// the selection over the incident board, open the selected incident, acknowledge the top alarm,
// and `?` for the list. A key typed into a field, or held with Ctrl/Alt/Meta, is never a
// shortcut, so writing notes or a search can not acknowledge an alarm by accident.
import { useEffect, useRef } from 'react';
import type { IncidentView } from '../api.js';
import { useI18n } from '../store.js';
import type { UiKey } from '../i18n.js';

/** The shortcuts, in the order the help lists them (keys as `KeyboardEvent.key`). */
export const SHORTCUTS: { keys: string[]; label: UiKey }[] = [
  { keys: ['j', 'ArrowDown'], label: 'keys.next' },
  { keys: ['k', 'ArrowUp'], label: 'keys.previous' },
  { keys: ['Enter', 'o'], label: 'keys.open' },
  { keys: ['a'], label: 'keys.acknowledge' },
  { keys: ['?'], label: 'keys.help' },
  { keys: ['Escape'], label: 'keys.close' },
];

export type ShortcutAction = 'next' | 'previous' | 'open' | 'acknowledge' | 'help' | 'close';

const ACTION_OF: Record<string, ShortcutAction> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  Enter: 'open',
  o: 'open',
  a: 'acknowledge',
  '?': 'help',
  Escape: 'close',
};

/** True when the key press belongs to what the user is typing (a field, an editable element). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  // buttons-like inputs take no text: a shortcut after ticking a checkbox still works
  const type = (target as HTMLInputElement).type;
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
}

/** The shortcut a key press stands for, or null (typing, modifiers, other keys). */
export function shortcutOf(e: KeyboardEvent): ShortcutAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return null;
  if (isTyping(e.target)) return null;
  // Enter on a link or button already does what that element does
  if (e.key === 'Enter' && e.target instanceof HTMLElement && e.target.closest('a, button')) return null;
  return ACTION_OF[e.key] ?? null;
}

/** Listen on the window while mounted; the handler sees the latest state without re-binding. */
export function useShortcuts(handler: (a: ShortcutAction) => boolean): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const a = shortcutOf(e);
      if (a && ref.current(a)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** The acknowledgement is still owed (the procedure's `acknowledge` step, or its waiting state). */
export function awaitingAck(i: IncidentView): boolean {
  const ack = i.steps.find((s) => s.key === 'acknowledge');
  return i.open && (ack ? ack.status === 'pending' : i.state === 'awaiting_ack');
}

function keyName(t: ReturnType<typeof useI18n>, k: string): string {
  if (k === 'ArrowDown') return '↓';
  if (k === 'ArrowUp') return '↑';
  if (k === 'Enter') return t.t('keys.enter');
  if (k === 'Escape') return t.t('keys.esc');
  return k.length === 1 ? k.toUpperCase() : k;
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const t = useI18n();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="overlay" role="presentation" onClick={onClose}>
      <div
        className="shortcut-help panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcut-help-title"
        data-testid="shortcut-help"
        onClick={(e) => e.stopPropagation()}
      >
        <header className="panel-head">
          <h2 id="shortcut-help-title">{t.t('keys.title')}</h2>
          <button type="button" className="ghost" ref={close} onClick={onClose} data-testid="shortcut-help-close">
            {t.t('keys.close')}
          </button>
        </header>
        <div className="panel-body">
          <dl className="shortcut-list">
            {SHORTCUTS.map((s) => (
              <div key={s.label} className="shortcut-row">
                <dt>
                  {s.keys.map((k, n) => (
                    <span key={k}>
                      {n > 0 ? ` ${t.t('keys.or')} ` : ''}
                      <kbd>{keyName(t, k)}</kbd>
                    </span>
                  ))}
                </dt>
                <dd>{t.t(s.label)}</dd>
              </div>
            ))}
          </dl>
          <p className="muted">{t.t('keys.typingNote')}</p>
        </div>
      </div>
    </div>
  );
}
