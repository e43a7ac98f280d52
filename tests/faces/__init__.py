"""Tests of the face engine (access/faces)."""
