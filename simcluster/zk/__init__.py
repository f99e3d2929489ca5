"""ZooKeeper registrations exactly as the real processes write them."""
