"""Recommendation models, their training and offline evaluation: numpy/scipy only, no framework.

Entry points: `evaluation.run_eval_file` (`shoppable recs eval`), `synthetic.synthesize`
(`shoppable recs synth`), `training.train_from_arrays` / `training.train_file` (`shoppable recs train`),
`artifact.TrainedModel` (the model the feed ranks with; `storage.recs_artifacts` keeps its versions).
"""
