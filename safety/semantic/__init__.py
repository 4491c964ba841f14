"""The learned layer: a sentence-embedding model and a small trained head that can only raise a decision."""
