// The programs of the images `deckops cluster images` builds without a registry (deckops issue 16).
module deckops.local/tools/images

go 1.26.0
