"""The pipeline's stages, one module per entry of :data:`grader.pipeline.STAGES`."""
