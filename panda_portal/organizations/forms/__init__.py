"""Form shapes of the organizations domain."""
