/**
 * What the user classifies, declared once: the store, URL state, share links and project files
 * all read the task list and each task's default model from here.
 */
export const TASKS = ['image', 'audio'] as const;
export type Task = (typeof TASKS)[number];

export const BUILTIN_MODEL_ID = 'builtin/clip-shapes';
export const BUILTIN_AUDIO_MODEL_ID = 'builtin/whisper-words';
/** Each task's built-in model: it ships with the app and works offline. */
export const BUILTIN_MODEL_IDS: Record<Task, string> = { image: BUILTIN_MODEL_ID, audio: BUILTIN_AUDIO_MODEL_ID };

/** The app opens on the built-in models: nothing downloads without the user's say. */
export const DEFAULT_MODEL_ID = BUILTIN_MODEL_ID;
export const DEFAULT_AUDIO_MODEL_ID = BUILTIN_AUDIO_MODEL_ID;
