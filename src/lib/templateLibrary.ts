/**
 * The prompt templates the prompt lab offers: CLIP's, from OpenAI's CLIP repository (written by
 * tools/make_template_library.mjs from the project's shared copy, see ../shared/data/README.md),
 * and the audio ones. `{}` is the label's slot.
 */
import * as v from 'valibot';
import { WHISPER_TEMPLATES } from './audioScoring';
import library from './templateLibrary.json';

const librarySchema = v.object({
  /** The 80 templates of CLIP's ImageNet notebook. */
  imagenet80: v.array(v.string()),
  /** The 7 of them the notebook kept after sequential forward selection (better than all 80 for small models). */
  kept7: v.array(v.string()),
  /** Each dataset's templates in CLIP's `data/prompts.md`, by dataset name. */
  perDataset: v.record(v.string(), v.array(v.string())),
});

export type TemplateLibrary = v.InferOutput<typeof librarySchema>;

/** Checked once at start-up: a bad regeneration fails loudly rather than offering odd templates. */
export const TEMPLATE_LIBRARY: TemplateLibrary = v.parse(librarySchema, library);

/** Whisper's (the spacing matters: Whisper's text after the prompt starts with a space) and a caption-style one for CLAP. */
export const AUDIO_TEMPLATES: readonly string[] = [...WHISPER_TEMPLATES, 'the sound of {}'];

/** The named sets the library picker offers, for a task. */
export type TemplateSetId = 'imagenet80' | 'kept7' | 'dataset' | 'audio' | 'saved';
