/**
 * A finished result's words in a report's language: English reports show the English text results
 * keep; others render each sentence's ref, and names the graders and recipes give in English (lab
 * and exercise titles, a public case's description) from the catalogue where it has them.
 */
import type { CheckResult, MessageRef } from '../contract/result.js';
import { hasMessage, render, type Lang } from '../i18n/messages.js';

export function localized(lang: Lang) {
  const say = (text: string, ref: MessageRef | undefined) => (ref && lang !== 'en' ? render(ref, lang) : text);
  const named = (id: string, english: string) => (lang !== 'en' && hasMessage(id, lang) ? render({ id }, lang) : english);
  return {
    say,
    labTitle: (lab: { id: string; title: string }) => named(`lab.${lab.id}.title`, lab.title),
    exerciseTitle: (labId: string, ex: { id: string; title: string }) => named(`exercise.${labId}.${ex.id}.title`, ex.title),
    /** What a public check ran: a judge's description, or the recipe's (code, or a name translated by its case). */
    checkDescription: (labId: string, c: Pick<CheckResult, 'id' | 'description' | 'descriptionRef'>) =>
      c.descriptionRef ? say(c.description, c.descriptionRef) : named(`case.${labId}.${c.id}`, c.description),
    checkMessage: (c: Pick<CheckResult, 'message' | 'messageRef'>) => say(c.message, c.messageRef),
    diagnosis: (c: Pick<CheckResult, 'diagnosis'>) => (c.diagnosis ? say(c.diagnosis.message, c.diagnosis.messageRef) : undefined),
  };
}
