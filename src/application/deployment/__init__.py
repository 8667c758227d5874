"""Planning and applying a deployment of a source folder to an environment's workspace."""
