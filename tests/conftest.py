pytest_plugins = ["tests.support.zookeeper"]
