/**
 * The pattern quick pick of Orchestrate Task: "Auto (recommended)" first, then every pattern a user
 * may ask for with its `whenToUse` line. The last choice is remembered per workspace and is the
 * active item next time, while Auto stays first in the list.
 */
import * as vscode from 'vscode';
import { PATTERN_CHOICES, patternNamed, type PatternChoice } from '../../engine';

export const LAST_PATTERN_KEY = 'orchestration.lastPattern';

export interface PatternItem extends vscode.QuickPickItem { choice: PatternChoice }

/** The items in order and the one to make active (the remembered choice when it still exists). */
export function patternItems(remembered: string | undefined): { items: PatternItem[]; active: PatternItem } {
  const items = PATTERN_CHOICES.map((choice): PatternItem => ({
    choice,
    label: choice === 'auto' ? 'Auto (recommended)' : patternNamed(choice)?.title ?? choice,
    description: choice === 'auto' ? 'the planner picks the pattern and says why' : choice,
    detail: choice === 'auto' ? undefined : patternNamed(choice)?.whenToUse,
  }));
  const active = items.find((i) => i.choice === remembered) ?? items[0];
  if (active.choice === remembered && remembered !== 'auto') active.description = `${active.description} · last used`;
  return { items, active };
}

/** Asks for the pattern; undefined when the user dismissed the pick. Remembers the answer in `state`. */
export async function pickPattern(state: vscode.Memento, title: string): Promise<PatternChoice | undefined> {
  const { items, active } = patternItems(state.get<string>(LAST_PATTERN_KEY));
  const qp = vscode.window.createQuickPick<PatternItem>();
  qp.title = title;
  qp.placeholder = 'How should the work be organised? Auto lets the planner choose.';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.ignoreFocusOut = true;
  qp.items = items;
  qp.activeItems = [active];
  const choice = await new Promise<PatternChoice | undefined>((resolve) => {
    qp.onDidAccept(() => { resolve(qp.selectedItems[0]?.choice ?? qp.activeItems[0]?.choice); qp.hide(); });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (choice) await state.update(LAST_PATTERN_KEY, choice);
  return choice;
}
