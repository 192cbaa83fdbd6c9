"""Pure domain rules: decks, questions, grading and streaks, free of Discord and storage."""
