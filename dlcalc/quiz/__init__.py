"""Practice quizzes: questions from the bank and from templates, graded, with worked solutions."""
