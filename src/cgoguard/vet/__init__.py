"""``cgoguard-vet``: cgoguard's checks run by ``go vet -vettool``, on exactly the packages,
files and build tags the go command chose (:mod:`.protocol`, :mod:`.units`, :mod:`.main`)."""
