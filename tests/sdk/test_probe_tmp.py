import sys
def test_x():
    print({k: getattr(v, "__file__", None) for k, v in sys.modules.items() if "conftest" in k})
    print(sys.path[:5])
